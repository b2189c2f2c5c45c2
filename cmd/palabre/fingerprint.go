package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"palabre/room"
)

func newFingerprintCmd(stdout io.Writer, environ []string) *cobra.Command {
	var dataDirOf func() string
	cmd := &cobra.Command{
		Use:   "fingerprint",
		Short: "Print the SSH host key's SHA256 fingerprint, for students to check",
		Long: "fingerprint prints the SHA256 fingerprint of the server's SSH host key, as ssh shows\n" +
			"it at a first connection, so that students can check they reach this server. It reads\n" +
			"the key in the data directory and starts nothing: it may run while the server does.\n" +
			"Before the server's first start there is no key yet, and it says so.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dataDir := dataDirOf()
			fp, err := hostKeyFingerprint(dataDir)
			if errors.Is(err, errNoHostKey) {
				// Said in the room's language: the teacher reads it.
				var lang room.Lang
				if lang.UnmarshalText([]byte(settingFrom(environ, "PALABRE_LANG", "en"))) != nil {
					lang = room.LangEN
				}
				return fmt.Errorf(textsFor(lang).noKey, dataDir)
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(stdout, fp)
			return err
		},
	}
	dataDirOf = dataDirFlag(cmd, environ)
	return cmd
}
