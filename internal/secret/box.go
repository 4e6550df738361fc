package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

// version1 marks AES-256-GCM with a 12-byte random nonce.
const version1 byte = 1

const (
	nonceSize = 12
	tagSize   = 16
	overhead  = 1 + nonceSize + tagSize
)

// Errors returned by Open; test with errors.Is.
var (
	// ErrMalformed means the sealed bytes are too short or of an unknown
	// version: they were not produced by Seal.
	ErrMalformed = errors.New("secret: malformed sealed message")
	// ErrAuth means authentication failed: the message was altered or was
	// sealed with another key.
	ErrAuth = errors.New("secret: message authentication failed (tampered or wrong key)")
)

// Box seals and opens messages with one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box for a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret: new box: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: new box: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: new box: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plain. Each call draws a fresh random nonce, so sealing the
// same plaintext twice gives different bytes.
func (b *Box) Seal(plain []byte) ([]byte, error) {
	out := make([]byte, 1+nonceSize, overhead+len(plain))
	out[0] = version1
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("secret: seal: read nonce: %w", err)
	}
	return b.aead.Seal(out, out[1:1+nonceSize], plain, out[:1]), nil
}

// Open decrypts a message made by Seal. It answers ErrMalformed for bytes of
// the wrong shape and ErrAuth when the message was altered or sealed with
// another key.
func (b *Box) Open(sealed []byte) ([]byte, error) {
	if len(sealed) < overhead {
		return nil, fmt.Errorf("secret: open: %d bytes: %w", len(sealed), ErrMalformed)
	}
	if sealed[0] != version1 {
		return nil, fmt.Errorf("secret: open: version %d: %w", sealed[0], ErrMalformed)
	}
	plain, err := b.aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], sealed[:1])
	if err != nil {
		return nil, fmt.Errorf("secret: open: %w", ErrAuth)
	}
	return plain, nil
}

// ParseKey decodes a key given as 64 hexadecimal characters or as base64
// (standard or URL alphabet, padded or not) of 32 bytes. Surrounding space
// is ignored. Its errors describe the shape of s, never its content.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("secret: parse key: empty; want 64 hex characters or base64 of 32 bytes")
	}
	if len(s) == 2*KeySize {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == KeySize {
			return k, nil
		}
	}
	switch {
	case len(s) == 2*KeySize:
		return nil, fmt.Errorf("secret: parse key: %d characters but not valid hex", len(s))
	case isHex(s):
		return nil, fmt.Errorf("secret: parse key: %d hex characters, want %d", len(s), 2*KeySize)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			return nil, fmt.Errorf("secret: parse key: base64 decodes to %d bytes, want %d", len(k), KeySize)
		}
	}
	return nil, fmt.Errorf("secret: parse key: %d characters, neither %d hex characters nor base64 of %d bytes", len(s), 2*KeySize, KeySize)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// GenerateKey returns a new random key, hex-encoded as ParseKey accepts it.
func GenerateKey() (string, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return "", fmt.Errorf("secret: generate key: %w", err)
	}
	return hex.EncodeToString(k), nil
}
