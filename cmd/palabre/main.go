// Command palabre serves a chat room on two doors: TCP, speaking the
// course's protocol, and SSH, with a full-screen chat. `palabre connect` is
// the course's client.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/joho/godotenv"
	"github.com/spf13/cobra"

	"palabre/internal/config"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ()))
}

// run is the whole program, with its world passed in so that tests can run
// it in-process. It returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) int {
	root := newRootCmd(stdin, stdout, stderr, environ)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "palabre:", err)
		return 1
	}
	return 0
}

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer, environ []string) *cobra.Command {
	root := &cobra.Command{
		Use:   "palabre",
		Short: "A chat room for a classroom, over TCP (the course's protocol) and SSH",
		Long: "palabre serves one chat room on two doors: TCP (nc, telnet, the course's client.py)\n" +
			"and SSH (a full-screen chat). Settings come from PALABRE_* variables, a .env file\n" +
			"in the working directory, or the flags below (flags win, then the environment, then .env).",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, environ)
			if err != nil {
				return err
			}
			return serve(untilSignal(cmd.Context()), cfg, stderr, func(addrs map[string]net.Addr) {
				if err := writeStartup(stdout, cfg.Lang, cfg.DataDir, addrs["tcp"], addrs["ssh"], addrs["http"], cfg.Metrics); err != nil {
					fmt.Fprintln(stderr, "palabre:", err)
				}
			})
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	config.AddFlags(root.Flags())
	root.AddCommand(newConnectCmd(stdin, stdout), newTranscriptCmd(stdout, environ), newRecoverCmd(stdout, environ),
		newBenchCmd(stdout, stderr), newFingerprintCmd(stdout, environ))
	root.CompletionOptions.HiddenDefaultCmd = true // shells' completion scripts: not what a teacher looks for
	return root
}

// untilSignal returns a context that ends at the first SIGINT or SIGTERM.
// The signals' default action is restored before the context ends, so that
// a second signal, during the shutdown the first one starts, ends the
// process at once.
func untilSignal(parent context.Context) context.Context {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sigs:
		case <-ctx.Done():
		}
		signal.Stop(sigs)
		cancel()
	}()
	return ctx
}

// loadConfig merges, lowest first: the .env file in the working directory,
// the process environment, and the flags given on the command line.
func loadConfig(cmd *cobra.Command, environ []string) (config.Config, error) {
	merged, err := godotenv.Read(".env")
	if errors.Is(err, os.ErrNotExist) {
		merged, err = map[string]string{}, nil
	}
	if err != nil {
		return config.Config{}, fmt.Errorf(".env: %w", err)
	}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			merged[k] = v
		}
	}
	maps.Copy(merged, config.FlagValues(cmd.Flags()))
	return config.Load(merged)
}
