package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// Report is what a run measured. Latencies run from the send to the first
// sighting of the token by a receiver, over every (receiver, message) pair
// of the measured window. Figures the run could not measure are nil.
type Report struct {
	Server     string  `json:"server"` // "in-process" or "external"
	Cores      int     `json:"cores"`  // this machine's, shared by the server and the bench
	TCPMembers int     `json:"tcp_members"`
	SSHMembers int     `json:"ssh_members"`
	Stalled    int     `json:"stalled_members"`       // on the TCP door
	StalledSSH int     `json:"stalled_ssh_members"`   // on the SSH door, each with a pty
	SSHMargins bool    `json:"ssh_margins,omitempty"` // the screens' terminals said they have left and right margins
	WebMembers int     `json:"web_members,omitempty"` // the web figures are absent from a run without web members
	StalledWeb int     `json:"stalled_web_members,omitempty"`
	Connected  int     `json:"connected"`
	ConnectS   float64 `json:"connect_s"` // time to connect and welcome every member
	// ConnectRate is how many members started connecting each second; 0:
	// all at once.
	ConnectRate float64 `json:"connect_rate"`

	Senders   int     `json:"senders"`
	Rate      float64 `json:"rate_per_sender"`
	DurationS float64 `json:"duration_s"`
	WarmupS   float64 `json:"warmup_s"`
	Sent      int64   `json:"sent"`       // messages of the measured window
	SentTotal int64   `json:"sent_total"` // with the warm-up's

	Expected    int64   `json:"expected"`
	Seen        int64   `json:"seen"`
	Lost        int64   `json:"lost"`
	LossPct     float64 `json:"loss_pct"`
	TCPExpected int64   `json:"tcp_expected"`
	TCPSeen     int64   `json:"tcp_seen"`
	SSHExpected int64   `json:"ssh_expected"`
	SSHSeen     int64   `json:"ssh_seen"`
	WebExpected int64   `json:"web_expected,omitempty"`
	WebSeen     int64   `json:"web_seen,omitempty"`
	// The loss by cause: deliveries to members dropped during the run, and
	// to members still connected at the end, by door.
	LostDropped      int64 `json:"lost_dropped"`
	LostTCPConnected int64 `json:"lost_tcp_connected"`
	LostSSHConnected int64 `json:"lost_ssh_connected"`
	LostWebConnected int64 `json:"lost_web_connected,omitempty"`

	P50ms    float64 `json:"p50_ms"`
	P90ms    float64 `json:"p90_ms"`
	P99ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
	TCPP50ms float64 `json:"tcp_p50_ms"`
	TCPP99ms float64 `json:"tcp_p99_ms"`
	SSHP50ms float64 `json:"ssh_p50_ms"`
	SSHP99ms float64 `json:"ssh_p99_ms"`
	WebP50ms float64 `json:"web_p50_ms,omitempty"`
	WebP99ms float64 `json:"web_p99_ms,omitempty"`

	DeliveriesPerS float64  `json:"deliveries_per_s"`
	CPUS           *float64 `json:"cpu_s"`             // the server's CPU time over the measured window
	CPUSPer1000    *float64 `json:"cpu_s_per_1000"`    // per 1000 deliveries seen
	MemPerMemberKB *float64 `json:"mem_per_member_kb"` // memory grown by connecting, per member
	// MemEndPerMemberKB is the memory grown from before connecting to the
	// end of the measured window (the traffic's share too), per member.
	MemEndPerMemberKB *float64 `json:"mem_end_per_member_kb,omitempty"`
	BenchCPUS         *float64 `json:"bench_cpu_s"` // the load generator's, over the same window, when the server is apart
	CPUSource         string   `json:"cpu_source,omitempty"`
	MemSource         string   `json:"mem_source,omitempty"`
	// With several server processes (--pid P1,P2,…, a cluster's nodes),
	// the CPU and memory above are theirs summed, RSSKB their memory at the
	// end of the traffic summed, and Processes each one's share.
	RSSKB     *int64           `json:"rss_kb,omitempty"`
	Processes []ProcessFigures `json:"processes,omitempty"`

	SendLagMaxMs        float64        `json:"send_lag_max_ms"` // how far the generator fell behind its schedule
	SendErrors          int64          `json:"send_errors"`
	Dropped             int            `json:"dropped"`                // reading members that lost their connection
	DroppedBeforeWindow int            `json:"dropped_before_window"`  // of them, before the measured window: a join storm's casualties
	DropReasons         map[string]int `json:"drop_reasons,omitempty"` // their last line, names as NAME
	StalledDropped      int            `json:"stalled_dropped"`        // stalled TCP members the server hung up on
	StalledSSHDropped   int            `json:"stalled_ssh_dropped"`    // stalled SSH members whose session or connection the server closed
	StalledWebDropped   int            `json:"stalled_web_dropped,omitempty"`
	Strays              int64          `json:"strays"`

	// Rooms: how many (1: the default room only), and the proof that none
	// leaked: Crossed counts the tokens seen by a member of another room
	// than their sender's, and must be 0.
	Rooms            int     `json:"rooms"`
	Crossed          int64   `json:"crossed_rooms"`
	StalledFirstRoom bool    `json:"stalled_first_room,omitempty"`
	FloodRate        float64 `json:"flood_rate,omitempty"`
	FloodSent        int64   `json:"flood_sent,omitempty"` // measured messages of the flood, in Sent too
	FloodP50ms       float64 `json:"flood_p50_ms,omitempty"`
	FloodP99ms       float64 `json:"flood_p99_ms,omitempty"`
	// With rooms: each room's p99 (by the receiver's room, bench-1 first),
	// the worst of them, and the first room's latency beside the others'
	// together, where --stalled-first-room and --flood-rate put the trouble;
	// of the senders' messages, the flood's apart (above).
	RoomP99ms        []float64 `json:"room_p99_ms,omitempty"`
	WorstRoom        string    `json:"worst_room,omitempty"`
	WorstRoomP99ms   float64   `json:"worst_room_p99_ms,omitempty"`
	FirstRoomP50ms   float64   `json:"first_room_p50_ms,omitempty"`
	FirstRoomP99ms   float64   `json:"first_room_p99_ms,omitempty"`
	OtherRoomsP50ms  float64   `json:"other_rooms_p50_ms,omitempty"`
	OtherRoomsP99ms  float64   `json:"other_rooms_p99_ms,omitempty"`
	OtherRoomsMaxP99 float64   `json:"other_rooms_worst_p99_ms,omitempty"`

	Notes []string `json:"notes,omitempty"`
}

// ProcessFigures are one process's share of the server's CPU and memory,
// when several are measured: the same figures as the Report's, over every
// delivery and every member, so that the processes' add up to its.
type ProcessFigures struct {
	PID               int      `json:"pid"`
	CPUS              *float64 `json:"cpu_s"`
	CPUSPer1000       *float64 `json:"cpu_s_per_1000"`
	MemPerMemberKB    *float64 `json:"mem_per_member_kb"`
	MemEndPerMemberKB *float64 `json:"mem_end_per_member_kb,omitempty"`
	RSSKB             *int64   `json:"rss_kb,omitempty"` // at the end of the traffic
}

// WriteJSON writes the report as one line of JSON.
func (rep Report) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteTable writes the report for a reader.
func (rep Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(label, format string, args ...any) {
		fmt.Fprintf(tw, "%s\t%s\n", label, fmt.Sprintf(format, args...))
	}
	row("server", "%s, on %d cores shared with the bench", rep.Server, rep.Cores)
	pace := "all at once"
	if rep.ConnectRate > 0 {
		pace = fmt.Sprintf("%g a second", rep.ConnectRate)
	}
	web := rep.WebMembers+rep.StalledWeb > 0 // a run without web members reads as it always did
	if web {
		row("members", "%d connected: %d tcp + %d ssh + %d web + %d stalled tcp + %d stalled ssh + %d stalled web, %s, in %.1f s",
			rep.Connected, rep.TCPMembers, rep.SSHMembers, rep.WebMembers, rep.Stalled, rep.StalledSSH, rep.StalledWeb, pace, rep.ConnectS)
	} else {
		row("members", "%d connected: %d tcp + %d ssh + %d stalled tcp + %d stalled ssh, %s, in %.1f s",
			rep.Connected, rep.TCPMembers, rep.SSHMembers, rep.Stalled, rep.StalledSSH, pace, rep.ConnectS)
	}
	if rep.SSHMargins {
		row("terminals", "the ssh screens say they have left and right margins, as xterm does")
	}
	row("load", "%d senders × %g msg/s for %gs, after %gs of warm-up", rep.Senders, rep.Rate, rep.DurationS, rep.WarmupS)
	if rep.Rooms > 1 {
		where := "spread"
		if rep.StalledFirstRoom {
			where = "all in bench-1"
		}
		row("rooms", "%d, bench-1 … bench-%d, members and senders spread evenly, stalled members %s", rep.Rooms, rep.Rooms, where)
		if rep.FloodRate > 0 {
			row("flood", "one member of bench-1 sends %g msg/s more: %d measured (%.0f/s), seen p50 %s p99 %s", rep.FloodRate, rep.FloodSent,
				float64(rep.FloodSent)/rep.DurationS, msText(rep.FloodP50ms), msText(rep.FloodP99ms))
		}
		row("crossed rooms", "%d (must be 0)", rep.Crossed)
	}
	row("sent", "%d messages measured (%d in all)", rep.Sent, rep.SentTotal)
	row("deliveries", "expected %d, seen %d, lost %d (%.3f%%)", rep.Expected, rep.Seen, rep.Lost, rep.LossPct)
	if rep.TCPMembers > 0 {
		row("  to tcp", "expected %d, seen %d, lost %d (%d to members still connected)", rep.TCPExpected, rep.TCPSeen, rep.TCPExpected-rep.TCPSeen, rep.LostTCPConnected)
	}
	if rep.SSHMembers > 0 {
		row("  to ssh", "expected %d, seen %d, lost %d (%d to members still connected)", rep.SSHExpected, rep.SSHSeen, rep.SSHExpected-rep.SSHSeen, rep.LostSSHConnected)
	}
	if rep.WebMembers > 0 {
		row("  to web", "expected %d, seen %d, lost %d (%d to members still connected)", rep.WebExpected, rep.WebSeen, rep.WebExpected-rep.WebSeen, rep.LostWebConnected)
	}
	row("latency", "p50 %s  p90 %s  p99 %s  max %s", msText(rep.P50ms), msText(rep.P90ms), msText(rep.P99ms), msText(rep.MaxMs))
	if rep.TCPMembers > 0 {
		row("  to tcp", "p50 %s  p99 %s", msText(rep.TCPP50ms), msText(rep.TCPP99ms))
	}
	if rep.SSHMembers > 0 {
		row("  to ssh", "p50 %s  p99 %s", msText(rep.SSHP50ms), msText(rep.SSHP99ms))
	}
	if rep.WebMembers > 0 {
		row("  to web", "p50 %s  p99 %s", msText(rep.WebP50ms), msText(rep.WebP99ms))
	}
	if rep.Rooms > 1 {
		row("  by room", "the senders' messages (not the flood's): worst p99 %s (%s); bench-1 p50 %s p99 %s; the others p50 %s p99 %s, worst p99 %s",
			msText(rep.WorstRoomP99ms), rep.WorstRoom, msText(rep.FirstRoomP50ms), msText(rep.FirstRoomP99ms),
			msText(rep.OtherRoomsP50ms), msText(rep.OtherRoomsP99ms), msText(rep.OtherRoomsMaxP99))
	}
	row("throughput", "%.0f deliveries/s", rep.DeliveriesPerS)
	together := "" // one process: its figures, as they always read
	if len(rep.Processes) > 1 {
		together = fmt.Sprintf(", the %d processes together", len(rep.Processes))
	}
	if rep.CPUS != nil {
		row("server cpu", "%.2f s, %s per 1000 deliveries%s (%s)", *rep.CPUS, per1000Text(rep.CPUSPer1000), together, rep.CPUSource)
	} else {
		row("server cpu", "not measured (give --pid for a running server)")
	}
	if rep.BenchCPUS != nil {
		row("bench cpu", "%.2f s over the same window (the load generator)", *rep.BenchCPUS)
	}
	if rep.RSSKB != nil {
		together += fmt.Sprintf(", RSS %s in all", mibText(*rep.RSSKB))
	}
	if rep.MemPerMemberKB != nil {
		if rep.MemEndPerMemberKB != nil {
			row("memory", "%.1f kB per member connected, %.1f kB at the end of the traffic%s (%s)", *rep.MemPerMemberKB, *rep.MemEndPerMemberKB, together, rep.MemSource)
		} else {
			row("memory", "%.1f kB per member%s (%s)", *rep.MemPerMemberKB, together, rep.MemSource)
		}
	} else {
		row("memory", "not measured")
	}
	for _, p := range rep.Processes {
		row(fmt.Sprintf("  pid %d", p.PID), "%s", p.text())
	}
	row("generator", "at most %s behind schedule, %d send errors", msText(rep.SendLagMaxMs), rep.SendErrors)
	if web {
		row("dropped", "%d reading members (%d before the measured window); hung up on: %d of %d stalled tcp, %d of %d stalled ssh, %d of %d stalled web",
			rep.Dropped, rep.DroppedBeforeWindow, rep.StalledDropped, rep.Stalled, rep.StalledSSHDropped, rep.StalledSSH, rep.StalledWebDropped, rep.StalledWeb)
	} else {
		row("dropped", "%d reading members (%d before the measured window); hung up on: %d of %d stalled tcp, %d of %d stalled ssh",
			rep.Dropped, rep.DroppedBeforeWindow, rep.StalledDropped, rep.Stalled, rep.StalledSSHDropped, rep.StalledSSH)
	}
	for i, n := range rep.Notes {
		label := ""
		if i == 0 {
			label = "notes"
		}
		row(label, "%s", n)
	}
	return tw.Flush()
}

// text is a process's row: its CPU and memory, as the rows above give the
// server's.
func (p ProcessFigures) text() string {
	cpu, mem := "cpu not measured", "memory not measured"
	if p.CPUS != nil {
		cpu = fmt.Sprintf("cpu %.2f s, %s per 1000 deliveries", *p.CPUS, per1000Text(p.CPUSPer1000))
	}
	if p.MemPerMemberKB != nil {
		mem = fmt.Sprintf("memory %.1f kB per member connected", *p.MemPerMemberKB)
		if p.MemEndPerMemberKB != nil {
			mem += fmt.Sprintf(", %.1f kB at the end", *p.MemEndPerMemberKB)
		}
	}
	if p.RSSKB != nil {
		mem += fmt.Sprintf(", RSS %s", mibText(*p.RSSKB))
	}
	return cpu + "; " + mem
}

// per1000Text is CPU seconds per 1000 deliveries, in ms.
func per1000Text(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f ms", *v*1000)
}

func mibText(kb int64) string { return fmt.Sprintf("%.1f MiB", float64(kb)/1024) }

func msText(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.2f ms", v)
}
