package testenv

import (
	"net/http"
	"testing"
)

func TestRadicaleStartsAndMakesCollections(t *testing.T) {
	base := Radicale(t)
	u := MakeCollection(t, base, "ann", "tasks", "calendar")
	req, _ := http.NewRequest("PROPFIND", u, nil)
	req.Header.Set("Depth", "0")
	req.SetBasicAuth("ann", "x")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMultiStatus {
		t.Errorf("PROPFIND %s = %s, want 207", u, res.Status)
	}
	MakeCollection(t, base, "ann", "contacts", "addressbook")
}
