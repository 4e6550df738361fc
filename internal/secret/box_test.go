package secret_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/internal/secret"
)

func newBox(t *testing.T, fill byte) *secret.Box {
	t.Helper()
	b, err := secret.NewBox(bytes.Repeat([]byte{fill}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	b := newBox(t, 7)
	for _, plain := range [][]byte{nil, {}, []byte("x"), []byte(`{"access_token":"s3cr3t","refresh_token":"r"}`), bytes.Repeat([]byte("a"), 1<<16)} {
		sealed, err := b.Seal(plain)
		if err != nil {
			t.Fatal(err)
		}
		if len(plain) >= 8 && bytes.Contains(sealed, plain) { // a byte or two may occur in random ciphertext by chance
			t.Fatalf("sealed bytes contain the plaintext")
		}
		got, err := b.Open(sealed)
		if err != nil {
			t.Fatalf("open %d bytes: %v", len(plain), err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("round trip: got %q, want %q", got, plain)
		}
	}
}

func TestSealIsRandomized(t *testing.T) {
	t.Parallel()
	b := newBox(t, 1)
	s1, _ := b.Seal([]byte("same"))
	s2, _ := b.Seal([]byte("same"))
	if bytes.Equal(s1, s2) {
		t.Fatal("two seals of the same plaintext are equal: nonce reused")
	}
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	b := newBox(t, 1)
	sealed, err := b.Seal([]byte("credentials"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		c := bytes.Clone(sealed)
		c[i] ^= 0x01
		return c
	}
	tests := []struct {
		name   string
		box    *secret.Box
		sealed []byte
		want   error
	}{
		{"wrong key", newBox(t, 2), sealed, secret.ErrAuth},
		{"tampered version", b, flip(0), secret.ErrMalformed},
		{"tampered nonce", b, flip(3), secret.ErrAuth},
		{"tampered ciphertext", b, flip(14), secret.ErrAuth},
		{"tampered tag", b, flip(len(sealed) - 1), secret.ErrAuth},
		{"truncated", b, sealed[:len(sealed)-1], secret.ErrAuth},
		{"too short", b, sealed[:10], secret.ErrMalformed},
		{"empty", b, nil, secret.ErrMalformed},
		{"appended", b, append(bytes.Clone(sealed), 0), secret.ErrAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.box.Open(tt.sealed)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open: got (%q, %v), want %v", got, err, tt.want)
			}
			if got != nil {
				t.Fatalf("Open returned plaintext %q with an error", got)
			}
		})
	}
}

func TestNewBoxKeySize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := secret.NewBox(make([]byte, n)); err == nil {
			t.Errorf("NewBox with a %d-byte key: no error", n)
		}
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	key := make([]byte, secret.KeySize)
	for i := range key {
		key[i] = byte(i*7 + 250)
	}
	hexKey := hex.EncodeToString(key)
	tests := []struct {
		name    string
		in      string
		wantErr string // substring; empty means success
	}{
		{"hex lower", hexKey, ""},
		{"hex upper", strings.ToUpper(hexKey), ""},
		{"hex with space", "  " + hexKey + "\n", ""},
		{"base64 std", base64.StdEncoding.EncodeToString(key), ""},
		{"base64 raw std", base64.RawStdEncoding.EncodeToString(key), ""},
		{"base64 url", base64.URLEncoding.EncodeToString(key), ""},
		{"base64 raw url", base64.RawURLEncoding.EncodeToString(key), ""},
		{"empty", "", "empty"},
		{"short hex", hexKey[:62], "62 hex characters, want 64"},
		{"bad hex of right length", "zz" + hexKey[2:], "not valid hex"},
		{"base64 of 16 bytes", base64.StdEncoding.EncodeToString(key[:16]), "decodes to 16 bytes"},
		{"garbage", "not a key!", "neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := secret.ParseKey(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseKey(%q): err %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				if tt.in != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) {
					t.Fatalf("error %q repeats the key", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseKey(%q): %v", tt.in, err)
			}
			if !bytes.Equal(got, key) {
				t.Fatalf("ParseKey(%q) = %x, want %x", tt.in, got, key)
			}
		})
	}
}

func TestGenerateKey(t *testing.T) {
	t.Parallel()
	s, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := secret.ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := secret.NewBox(k); err != nil {
		t.Fatal(err)
	}
}

func FuzzOpen(f *testing.F) {
	b, _ := secret.NewBox(make([]byte, secret.KeySize))
	sealed, _ := b.Seal([]byte("seed"))
	f.Add(sealed)
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, in []byte) {
		plain, err := b.Open(in)
		if err == nil && string(plain) != "seed" {
			// Only a genuine seal opens (each fuzz worker seals its own
			// seed); anything else must fail cleanly.
			t.Fatalf("Open accepted %x as %q", in, plain)
		}
	})
}

func FuzzParseKey(f *testing.F) {
	f.Add(strings.Repeat("ab", 32))
	f.Add(base64.StdEncoding.EncodeToString(make([]byte, 32)))
	f.Fuzz(func(t *testing.T, s string) {
		k, err := secret.ParseKey(s)
		if err == nil && len(k) != secret.KeySize {
			t.Fatalf("ParseKey(%q) gave %d bytes", s, len(k))
		}
	})
}
