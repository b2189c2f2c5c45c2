package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"palabre/internal/bench"
	"palabre/internal/config"
)

func newBenchCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		cfg        bench.Config
		jsonOut    bool
		cpuprofile string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load a server over loopback and measure loss, latency and cost",
		Long: "bench connects TCP members, SSH members (each with a pty, reading its real screen) and\n" +
			"web members (a WebSocket each, on the web door's /ws, reading its JSON messages),\n" +
			"makes --senders of them send --rate messages a second each for --duration after --warmup,\n" +
			"and finds every message's unique token in every other member's stream. It reports loss,\n" +
			"latency from send to first sighting, deliveries per second, and the server's CPU time per\n" +
			"1000 deliveries and memory per member. --stalled, --stalled-ssh and --stalled-web add\n" +
			"members that stop reading after their welcome (an SSH client still buffers up to 2 MiB\n" +
			"of a stalled screen);\n" +
			"the report tells how many of them the server hung up on.\n\n" +
			"--rooms N spreads the members, the senders and the stalled members evenly over rooms\n" +
			"bench-1 … bench-N (each member types /join bench-K, on TCP as on a screen; a web member\n" +
			"names its room in its hello, as the page's ?room= does); each moves in\n" +
			"before anyone sends, and a message is expected only by the other members of its sender's\n" +
			"room: loss, deliveries and CPU per 1000 count those alone. A message seen in another room\n" +
			"is an error, reported as \"crossed rooms\" (it must be 0), with each room's p99.\n" +
			"--stalled-first-room puts every stalled member in bench-1, and --flood-rate R makes a\n" +
			"member of bench-1 send R messages a second more: the report gives bench-1's latency\n" +
			"beside the other rooms', to show that one room's trouble is not the others'.\n\n" +
			"Members connect all at once, each on its own, as a class arriving does: --connect-rate\n" +
			"paces them instead. The report counts the reading members dropped before the measured\n" +
			"window (a join storm's casualties) among those dropped.\n\n" +
			"Without --addr-tcp/--addr-ssh/--addr-web it starts a server of its own inside the bench's\n" +
			"process (no other process, a fresh data directory, flood control and connection limits off,\n" +
			"the web door only when web members are asked for): CPU and memory then count the load\n" +
			"generator too. For the server alone, start palabre\n" +
			"as a process apart and give its addresses and --pid; start it with PALABRE_MSG_RATE=0\n" +
			"and PALABRE_MAX_MEMBERS above the members, or its flood control paces the senders and\n" +
			"its door turns members away. Loopback addresses only: a name must resolve to loopback.\n" +
			"A running server's room must be empty, for the bench floods it: the bench joins once\n" +
			"first to count who is there (with --rooms, in its rooms too, by /rooms), and refuses if\n" +
			"anyone is; --i-know skips the count. The count comes in by the TCP or SSH door: web\n" +
			"members alone against a running server need --addr-tcp or --addr-ssh too, or --i-know.\n\n" +
			"A server of several processes (a cluster's nodes, sharing the rooms) takes several\n" +
			"addresses a door, separated by commas (--addr-tcp A,B,C): each door's members, and its\n" +
			"senders, go round its addresses. --pid P1,P2,P3 then measures each process: the report\n" +
			"gives CPU and memory for each, and summed (CPU per 1000 deliveries, RSS).",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := untilSignal(cmd.Context())
			if cpuprofile != "" {
				if cfg.AddrTCP != "" || cfg.AddrSSH != "" || cfg.AddrWeb != "" {
					return errors.New("--cpuprofile profiles the in-process server only: drop --addr-tcp, --addr-ssh and --addr-web")
				}
				f, err := os.Create(cpuprofile)
				if err != nil {
					return fmt.Errorf("--cpuprofile: %w", err)
				}
				defer f.Close()
				cfg.CPUProfile = f
			}
			if !jsonOut {
				cfg.Progress = stderr
			}
			members := cfg.TCPClients + cfg.SSHClients + cfg.WebClients + cfg.Stalled + cfg.StalledSSH + cfg.StalledWeb
			cfg.StartServer = func(ctx context.Context, web bool) (bench.Addrs, func() error, error) {
				return startBenchServer(ctx, members, cfg.Rooms, web)
			}
			rep, err := bench.Run(ctx, cfg)
			if err != nil {
				if ctx.Err() != nil && cmd.Context().Err() == nil {
					return errors.New("interrupted")
				}
				return err
			}
			if jsonOut {
				return rep.WriteJSON(stdout)
			}
			return rep.WriteTable(stdout)
		},
	}
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	f := cmd.Flags()
	f.IntVar(&cfg.TCPClients, "tcp-clients", 50, "TCP members that read")
	f.IntVar(&cfg.SSHClients, "ssh-clients", 5, "SSH members, each with a pty, that read their screen")
	f.BoolVar(&cfg.SSHMargins, "ssh-margins", false, "the SSH screens' terminals say they have left and right margins when asked, as xterm does (tmux, VTE and others do not)")
	f.IntVar(&cfg.WebClients, "web-clients", 0, "web members, each a WebSocket on the web door's /ws, that read")
	f.IntVar(&cfg.Senders, "senders", 5, "how many of the reading members send")
	f.Float64Var(&cfg.Rate, "rate", 1, "messages per second, per sender")
	f.DurationVar(&cfg.Duration, "duration", bench.DefaultDuration, "the measured window")
	f.DurationVar(&cfg.Warmup, "warmup", bench.DefaultWarmup, "sending before the measured window, not counted")
	f.DurationVar(&cfg.Drain, "drain", bench.DefaultDrain, "how long to wait for late deliveries after the last send")
	f.Float64Var(&cfg.ConnectRate, "connect-rate", 0, "members that start connecting each second; 0: all at once, no pacing")
	f.IntVar(&cfg.Stalled, "stalled", 0, "TCP members that never read (past their welcome)")
	f.IntVar(&cfg.StalledSSH, "stalled-ssh", 0, "SSH members, each with a pty, that never read their screen (past their welcome)")
	f.IntVar(&cfg.StalledWeb, "stalled-web", 0, "web members that never read (past their welcome)")
	f.IntVar(&cfg.Rooms, "rooms", 0, "spread the members over rooms bench-1 … bench-N; 0 or 1: everyone in the default room")
	f.BoolVar(&cfg.StalledFirstRoom, "stalled-first-room", false, "put every stalled member in bench-1 (with --rooms)")
	f.Float64Var(&cfg.FloodRate, "flood-rate", 0, "a member of bench-1 sends this many messages a second more (with --rooms)")
	f.StringVar(&cfg.AddrTCP, "addr-tcp", "", "TCP door of a running server, HOST:PORT on loopback, or several separated by commas (default: a server in this process)")
	f.StringVar(&cfg.AddrSSH, "addr-ssh", "", "SSH door of a running server, HOST:PORT on loopback, or several separated by commas")
	f.StringVar(&cfg.AddrWeb, "addr-web", "", "HTTP listener of a running server (its web door is /ws), HOST:PORT on loopback, or several separated by commas")
	f.BoolVar(&cfg.IKnow, "i-know", false, "bench a running server without counting who is in its room first (they would be flooded)")
	f.BoolVar(&cfg.Course, "course", false, "the server at --addr-tcp is the course's own threaded server (internal/bench/testdata/course_server.py), to measure beside palabre")
	f.IntSliceVar(&cfg.PIDs, "pid", nil, "process of the running server, for its CPU time and memory (/proc), or several separated by commas, each measured and summed")
	f.BoolVar(&jsonOut, "json", false, "print the report as one line of JSON, without the progress bar")
	f.StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile of the measured window to this file (in-process server)")
	return cmd
}

// startBenchServer runs palabre in this process on loopback ports — the
// TCP and SSH doors, and the HTTP listener with the web door when web asks
// for it — with its own data directory, flood control and connection
// limits off (the bench's rate is the load), room for the members and
// their rooms, and no logs.
func startBenchServer(ctx context.Context, members, rooms int, web bool) (addrs bench.Addrs, stop func() error, err error) {
	dir, err := os.MkdirTemp("", "palabre-bench-")
	if err != nil {
		return addrs, nil, err
	}
	httpAddr := "" // none without web members: the bench measures the chat
	if web {
		httpAddr = "127.0.0.1:0"
	}
	cfg, err := config.Load(map[string]string{
		"PALABRE_TCP_ADDR":     "127.0.0.1:0",
		"PALABRE_SSH_ADDR":     "127.0.0.1:0",
		"PALABRE_HTTP_ADDR":    httpAddr,
		"PALABRE_DATA_DIR":     dir,
		"PALABRE_MSG_RATE":     "0",
		"PALABRE_MAX_PER_IP":   "0",
		"PALABRE_CONNECT_RATE": "0",
		"PALABRE_MAX_MEMBERS":  strconv.Itoa(max(members+16, 1000)),
		"PALABRE_MAX_ROOMS":    strconv.Itoa(max(rooms+16, 100)),
		"PALABRE_LOG_LEVEL":    "error",
	})
	if err != nil {
		os.RemoveAll(dir)
		return addrs, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	ready := make(chan map[string]net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, io.Discard, func(a map[string]net.Addr) { ready <- a }) }()
	select {
	case listening := <-ready:
		stop = func() error {
			cancel()
			err := <-done
			return errors.Join(err, os.RemoveAll(dir))
		}
		addrs = bench.Addrs{TCP: listening["tcp"].String(), SSH: listening["ssh"].String()}
		if a, ok := listening["http"]; ok {
			addrs.Web = a.String()
		}
		return addrs, stop, nil
	case err := <-done:
		cancel()
		os.RemoveAll(dir)
		return addrs, nil, err
	}
}
