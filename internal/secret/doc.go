// Package secret encrypts small secrets at rest, such as a connection's
// OAuth tokens, with AES-256-GCM (NIST SP 800-38D).
//
// A sealed message is a version byte, a random 96-bit nonce and the GCM
// ciphertext with its 128-bit tag. The version byte leaves room for a later
// format or key rotation without guessing at old data. A Box never logs or
// formats its key, and its errors never contain plaintext or key material.
package secret
