package main

import (
	"bytes"
	"fmt"
	"os"

	gossh "golang.org/x/crypto/ssh"
)

// readKeys reads a file in authorized_keys format and returns the SHA256
// fingerprints of its keys, and the numbers of the lines it could not read
// (for a warning: a teacher whose line has a typo would silently lose
// access). env names the setting, for the error.
func readKeys(env, path string) (map[string]bool, []int, error) {
	if path == "" {
		return nil, nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", env, err)
	}
	keys := map[string]bool{}
	var bad []int
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		key, _, _, _, err := gossh.ParseAuthorizedKey(line)
		if err != nil {
			bad = append(bad, i+1)
			continue
		}
		keys[gossh.FingerprintSHA256(key)] = true
	}
	// An empty file too: no operator at all, or an SSH door nobody may
	// enter, is a mistake to report, not a setting.
	if len(keys) == 0 {
		return nil, nil, fmt.Errorf("%s: %s: no key in authorized_keys format", env, path)
	}
	return keys, bad, nil
}
