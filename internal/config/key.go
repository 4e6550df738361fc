package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/crmsync/crmsync/internal/secret"
)

// LoadOrCreateKeyFile returns the key stored in the file at path, creating
// the file with a fresh random key (hex, mode 0600, its directory 0700) when
// it does not exist. demo uses it so that a first run needs no setup; serve
// does not, because a key that silently appears would be lost with the
// machine and with it every stored credential.
func LoadOrCreateKeyFile(path string) (Secret, error) {
	key, err := readKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("config: create key file: %w", err)
	}
	text, err := secret.GenerateKey()
	if err != nil {
		return "", fmt.Errorf("config: create key file: %w", err)
	}
	// Write a temporary file and link it into place: the key file appears
	// whole or not at all, and a process that loses the race reads the
	// winner's key.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret-*.tmp")
	if err != nil {
		return "", fmt.Errorf("config: create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(text + "\n"); err != nil {
		tmp.Close()
		return "", fmt.Errorf("config: create key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("config: create key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("config: create key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return readKeyFile(path)
	} else if err != nil {
		return "", fmt.Errorf("config: create key file: %w", err)
	}
	return Secret(text), nil
}

func readKeyFile(path string) (Secret, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("config: read key file: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if _, err := secret.ParseKey(s); err != nil {
		return "", fmt.Errorf("config: read key file %s: %w", path, err)
	}
	return Secret(s), nil
}
