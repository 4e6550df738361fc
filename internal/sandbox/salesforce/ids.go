package salesforce

import (
	"strings"
)

// Salesforce record ids are 15 case-sensitive base-62 characters — a
// 3-character key prefix naming the object, a 2-character pod, a reserved
// "0" and a 9-character counter — followed, in the 18-character form the
// API answers with, by a 3-character checksum that makes the id safe for
// case-insensitive systems.

const (
	base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	// idPod stands for the instance part of every id the sandbox makes.
	idPod = "8d"
	// idSuffixChars maps a 5-bit uppercase mask to the checksum character.
	idSuffixChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
)

// makeID builds the 18-character id of the n-th record with key prefix
// prefix.
func makeID(prefix string, n uint64) string {
	var b [15]byte
	copy(b[:], prefix)
	copy(b[3:], idPod)
	b[5] = '0'
	for i := 14; i >= 6; i-- {
		b[i] = base62[n%62]
		n /= 62
	}
	return string(b[:]) + idChecksum(string(b[:]))
}

// idChecksum computes the 3-character suffix of a 15-character id.
func idChecksum(id15 string) string {
	var out [3]byte
	for chunk := range 3 {
		mask := 0
		for i := range 5 {
			c := id15[chunk*5+i]
			if c >= 'A' && c <= 'Z' {
				mask |= 1 << i
			}
		}
		out[chunk] = idSuffixChars[mask]
	}
	return string(out[:])
}

// normalizeID returns the 18-character form of a 15- or 18-character id,
// or false when s is not shaped like a Salesforce id (wrong length, a
// character outside [0-9A-Za-z], or an 18-character id whose checksum does
// not match its first 15 characters).
func normalizeID(s string) (string, bool) {
	if len(s) != 15 && len(s) != 18 {
		return "", false
	}
	for i := range len(s) {
		if strings.IndexByte(base62, s[i]) < 0 {
			return "", false
		}
	}
	sum := idChecksum(s[:15])
	if len(s) == 18 && !strings.EqualFold(s[15:], sum) {
		return "", false
	}
	return s[:15] + sum, true
}

// idPrefix returns the key prefix of a well-formed id.
func idPrefix(id string) string {
	if len(id) < 3 {
		return ""
	}
	return id[:3]
}
