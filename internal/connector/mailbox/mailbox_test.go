package mailbox

import (
	"slices"
	"testing"
)

func TestCategoriesRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{" Lead ", "Base Person", "", "Lead"}, "Base Person;Lead"},
		{[]string{"b", "a"}, "a;b"},
	} {
		got := JoinCategories(tc.in)
		if got != tc.want {
			t.Errorf("JoinCategories(%q) = %q, want %q", tc.in, got, tc.want)
		}
		back := JoinCategories(SplitCategories(got))
		if back != got {
			t.Errorf("SplitCategories(%q) joined again = %q", got, back)
		}
	}
	if got := SplitCategories(" a ;; b"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("SplitCategories = %q", got)
	}
}
