package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newConnectCmd(stdin io.Reader, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "connect HOST PORT",
		Short: "Join a room over TCP, as the course's client does",
		Long: "connect sends each line read from standard input as one message and prints\n" +
			"what the server sends, both at once. Type FIN to leave; it also ends when the\n" +
			"server closes the connection. As with the course's client.py, the host and the port\n" +
			"are two arguments (palabre connect 192.168.1.20 12800); HOST:PORT works too.",
		Example: "  palabre connect 192.168.1.20 12800\n  palabre connect 192.168.1.20:12800",
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := connectAddr(args)
			if err != nil {
				return err
			}
			return connect(addr, stdin, stdout)
		},
	}
}

// connectAddr reads HOST PORT, as client.py takes them, or HOST:PORT.
func connectAddr(args []string) (string, error) {
	if len(args) == 2 {
		return net.JoinHostPort(strings.Trim(args[0], "[]"), args[1]), nil
	}
	if _, _, err := net.SplitHostPort(args[0]); err != nil {
		return "", fmt.Errorf("%q: want HOST PORT (or HOST:PORT), e.g. 192.168.1.20 12800", args[0])
	}
	return args[0], nil
}

// connect is the course's two-thread client: one goroutine sends, the
// other receives; the session ends when the server closes the connection.
func connect(addr string, stdin io.Reader, stdout io.Writer) error {
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return fmt.Errorf("cannot connect to %s: %w", addr, err)
	}
	defer nc.Close()

	go func() {
		// Ends when stdin does, or when a write fails because the server has
		// closed the connection (then the receiving side ends too).
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			line := sc.Text()
			if _, err := io.WriteString(nc, line+"\n"); err != nil {
				return
			}
			if strings.EqualFold(strings.TrimSpace(line), "FIN") {
				break
			}
		}
		// No more to say: half-close, so the server sees the end of the
		// stream and closes; what it still sends is printed.
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()

	if _, err := io.Copy(stdout, nc); err != nil {
		return fmt.Errorf("connection to %s: %w", addr, err)
	}
	return nil
}
