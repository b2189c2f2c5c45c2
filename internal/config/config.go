// Package config holds palabre's settings: one typed struct read from
// PALABRE_* variables, with defaults in its tags and checks in Validate.
// Every variable also has a command-line flag of the same name, lower-cased
// without the prefix (PALABRE_TCP_ADDR is --tcp-addr).
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/spf13/pflag"

	"palabre/room"
)

// Config is every setting of the server. The help tag is the one-line
// meaning shown by --help, .env.example and the README.
type Config struct {
	TCPAddr  string `env:"PALABRE_TCP_ADDR" envDefault:":12800" help:"address of the TCP door (the course's protocol)"`
	SSHAddr  string `env:"PALABRE_SSH_ADDR" envDefault:":2222" help:"address of the SSH door"`
	HTTPAddr string `env:"PALABRE_HTTP_ADDR" envDefault:":8080" help:"address of the HTTP listener: the room's page for browsers, /healthz and /metrics (empty: none)"`
	// HTTPOrigins is a comma-separated list: a string, as a flag reads one.
	HTTPOrigins    string     `env:"PALABRE_HTTP_ORIGINS" help:"hosts, besides the server's own, whose pages may open the web door's WebSocket, comma-separated (patterns such as *.example.org); none by default"`
	TrustedProxies CIDRs      `env:"PALABRE_TRUSTED_PROXIES" help:"reverse proxies in front of the HTTP listener, comma-separated networks: from them, X-Forwarded-For gives the browser's address for limits and bans (ignored from anyone else); none by default"`
	Metrics        bool       `env:"PALABRE_METRICS" envDefault:"true" help:"serve Prometheus metrics at /metrics on PALABRE_HTTP_ADDR"`
	DataDir        string     `env:"PALABRE_DATA_DIR" envDefault:"data" help:"directory for the server's state: the SSH host key and the database"`
	Lang           room.Lang  `env:"PALABRE_LANG" envDefault:"en" help:"language of every user-facing string: en or fr"`
	Greeting       string     `env:"PALABRE_GREETING" help:"first line sent to a TCP member (default: the language's greeting)"`
	History        int        `env:"PALABRE_HISTORY" envDefault:"50" help:"how many recent messages a newcomer is shown (0 to 10000)"`
	LogLevel       slog.Level `env:"PALABRE_LOG_LEVEL" envDefault:"info" help:"log level: debug, info, warn or error"`

	Room     string        `env:"PALABRE_ROOM" envDefault:"main" help:"the room where everyone lands who does not /join another (a name such as main or #cours)"`
	Rooms    room.Creation `env:"PALABRE_ROOMS" envDefault:"open" help:"who creates a room by joining it: open (anyone) or ops (operators; others join the rooms there are)"`
	MaxRooms int           `env:"PALABRE_MAX_ROOMS" envDefault:"100" help:"rooms at once, at most (1 to 100000)"`
	RoomIdle time.Duration `env:"PALABRE_ROOM_IDLE" envDefault:"10m" help:"an empty room goes after this long, unless it is PALABRE_ROOM or an operator made it"`

	MaxMessageBytes int     `env:"PALABRE_MAX_MESSAGE_BYTES" envDefault:"1024" help:"longer input is split into consecutive messages (64 to 16384)"`
	MaxBlockBytes   int     `env:"PALABRE_MAX_BLOCK_BYTES" envDefault:"8192" help:"a multi-line paste or fenced block is one message up to this size, refused above it (256 to 65536)"`
	MsgBurst        int     `env:"PALABRE_MSG_BURST" envDefault:"5" help:"flood control: messages a member may send at once"`
	MsgRate         float64 `env:"PALABRE_MSG_RATE" envDefault:"2" help:"flood control: messages per second past the burst; 0 turns it off"`
	MaxMembers      int     `env:"PALABRE_MAX_MEMBERS" envDefault:"1000" help:"members in the room, both doors together"`
	MaxPerIP        int     `env:"PALABRE_MAX_PER_IP" envDefault:"64" help:"open connections from one address; 0: no limit"`
	ConnectRate     float64 `env:"PALABRE_CONNECT_RATE" envDefault:"5" help:"new connections per second from one address, past the burst; 0: no limit"`
	ConnectBurst    int     `env:"PALABRE_CONNECT_BURST" envDefault:"20" help:"new connections one address may open at once"`
	ExemptCIDRs     CIDRs   `env:"PALABRE_EXEMPT_CIDRS" envDefault:"127.0.0.0/8,::1/128" help:"networks free of the per-address limits, comma-separated (a classroom's NAT), with a class's allowance of wrong passwords, where a ban on a key holds the key only; none for none"`
	IPv6Prefix      int     `env:"PALABRE_IPV6_PREFIX" envDefault:"64" help:"IPv6 addresses count as one per network of this prefix length in every per-address rule: limits, passwords, bans (1 to 128)"`

	OutboxBytes    int           `env:"PALABRE_OUTBOX_BYTES" envDefault:"65536" help:"bytes waiting for a member before it is dropped as too slow"`
	WriteTimeout   time.Duration `env:"PALABRE_WRITE_TIMEOUT" envDefault:"10s" help:"a member is dropped when a write to it takes longer, or a message has waited this long for it"`
	SSHAuthTimeout time.Duration `env:"PALABRE_SSH_AUTH_TIMEOUT" envDefault:"20s" help:"the SSH handshake, authentication and session start must end within it"`
	SSHKeepAlive   time.Duration `env:"PALABRE_SSH_KEEPALIVE" envDefault:"60s" help:"SSH keep-alive interval; three unanswered drop the connection"`

	StorePrivate bool   `env:"PALABRE_STORE_PRIVATE" envDefault:"false" help:"keep private messages in the transcript too"`
	OpsKeys      string `env:"PALABRE_OPS_KEYS" help:"path to an authorized_keys file: SSH members with these keys are operators"`
	OpPassword   string `env:"PALABRE_OP_PASSWORD" help:"/op PASSWORD makes any member an operator (empty: no /op)"`
	Password     string `env:"PALABRE_PASSWORD" help:"room password, asked on both doors (empty: an open room)"`
	AllowedKeys  string `env:"PALABRE_ALLOWED_KEYS" help:"path to an authorized_keys file: only these keys enter over SSH; TCP then needs the password"`

	AnonymousQuestions bool `env:"PALABRE_ANONYMOUS_QUESTIONS" envDefault:"false" help:"members who are not operators see /ask questions without their authors (an operator's /anonymous on|off sets it per room)"`

	// Several nodes sharing the rooms (docs/cluster.md). None set: a
	// server alone, as always.
	NatsURL      string `env:"PALABRE_NATS_URL" help:"join a NATS cluster with JetStream at these URLs, comma-separated (nats://a:4222,nats://b:4222): this server becomes one node of several sharing the rooms; empty: none"`
	NatsListen   string `env:"PALABRE_NATS_LISTEN" help:"embed a NATS server with JetStream listening for clients at HOST:PORT, this node's and other nodes' (PALABRE_NATS_URL); empty: none, unless PALABRE_NATS_CLUSTER"`
	NatsCluster  string `env:"PALABRE_NATS_CLUSTER" help:"the embedded NATS server's route listener HOST:PORT, which the other nodes' PALABRE_NATS_ROUTES name"`
	NatsRoutes   string `env:"PALABRE_NATS_ROUTES" help:"the other nodes' route listeners, comma-separated (nats://b:6222,nats://c:6222)"`
	NatsName     string `env:"PALABRE_NATS_NAME" help:"this node's name in the cluster, unique (default: the host's name and a random suffix)"`
	NatsReplicas int    `env:"PALABRE_NATS_REPLICAS" envDefault:"0" help:"how many NATS servers keep each event (1 to 5); 0: 3 when the cluster has 3 servers or more, else 1"`
}

// Clustered reports whether the server is one node of several: it joins
// a NATS cluster or embeds a NATS server.
func (c Config) Clustered() bool { return c.NatsURL != "" || c.Embedded() }

// Embedded reports whether the node carries its own NATS server.
func (c Config) Embedded() bool { return c.NatsListen != "" || c.NatsCluster != "" }

// Routes is NatsRoutes as a list, without blanks.
func (c Config) Routes() []string { return splitList(c.NatsRoutes) }

// CIDRs is a list of networks, written comma-separated; "none" is the empty list.
type CIDRs []netip.Prefix

func (c *CIDRs) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	*c = nil
	if s == "none" {
		return nil
	}
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		p, err := netip.ParsePrefix(f)
		if err != nil {
			addr, aerr := netip.ParseAddr(f) // a lone address is a network of one
			if aerr != nil {
				return fmt.Errorf("%q is not a network such as 10.0.0.0/8", f)
			}
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		*c = append(*c, p.Masked())
	}
	return nil
}

// Var describes one setting, for flags and documentation.
type Var struct {
	Env     string // PALABRE_TCP_ADDR
	Flag    string // tcp-addr
	Default string
	Help    string
	field   string
	typ     reflect.Type
}

// Vars lists every setting in the order of Config's fields.
func Vars() []Var {
	t := reflect.TypeFor[Config]()
	vars := make([]Var, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("env")
		vars = append(vars, Var{
			Env:     name,
			Flag:    strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(name, "PALABRE_")), "_", "-"),
			Default: f.Tag.Get("envDefault"),
			Help:    f.Tag.Get("help"),
			field:   f.Name,
			typ:     f.Type,
		})
	}
	return vars
}

// AddFlags defines a flag for every setting, of the setting's type, so that
// --help shows `--history int`, `--write-timeout duration` and a bool flag
// that needs no value (`--store-private`), each with its default once.
// FlagValues reads back the ones given.
func AddFlags(fs *pflag.FlagSet) {
	for _, v := range Vars() {
		help := fmt.Sprintf("%s (%s)", v.Help, v.Env)
		switch v.typ {
		case reflect.TypeFor[bool]():
			fs.Bool(v.Flag, v.Default == "true", help)
		case reflect.TypeFor[int]():
			n, _ := strconv.Atoi(v.Default)
			fs.Int(v.Flag, n, help)
		case reflect.TypeFor[float64]():
			f, _ := strconv.ParseFloat(v.Default, 64)
			fs.Float64(v.Flag, f, help)
		case reflect.TypeFor[time.Duration]():
			d, _ := time.ParseDuration(v.Default)
			fs.Duration(v.Flag, d, help)
		default: // text, checked by Load as the variable is
			fs.String(v.Flag, v.Default, help)
		}
	}
}

// FlagValues returns the settings given as flags in fs, as variables, to
// merge over the environment's before Load.
func FlagValues(fs *pflag.FlagSet) map[string]string {
	given := map[string]string{}
	for _, v := range Vars() {
		if f := fs.Lookup(v.Flag); f != nil && f.Changed {
			given[v.Env] = f.Value.String()
		}
	}
	return given
}

// Load reads the settings from environ, the variables as a map (the process
// environment, a .env file and flags already merged by the caller), and
// validates them. An error is one line that names the variable.
func Load(environ map[string]string) (Config, error) {
	var c Config
	err := env.ParseWithOptions(&c, env.Options{Environment: environ})
	if err != nil {
		return c, explain(err)
	}
	// The env package gives an empty variable its default; here empty is
	// a choice of its own: no HTTP listener.
	if v, ok := environ["PALABRE_HTTP_ADDR"]; ok && strings.TrimSpace(v) == "" {
		c.HTTPAddr = ""
	}
	return c, c.Validate()
}

// explain turns the env package's errors into one line naming a variable.
func explain(err error) error {
	var agg env.AggregateError
	if errors.As(err, &agg) && len(agg.Errors) > 0 {
		err = agg.Errors[0]
	}
	var pe env.ParseError
	if errors.As(err, &pe) {
		for _, v := range Vars() {
			if v.field == pe.Name {
				return fmt.Errorf("%s: %v", v.Env, unwrapAll(pe.Err))
			}
		}
	}
	return err
}

// unwrapAll strips strconv's wrapping, whose message repeats the function name.
func unwrapAll(err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return fmt.Errorf("%q is not a number", ne.Num)
	}
	return err
}

// Validate checks what the types alone do not.
func (c Config) Validate() error {
	for _, a := range []struct{ env, addr string }{{"PALABRE_TCP_ADDR", c.TCPAddr}, {"PALABRE_SSH_ADDR", c.SSHAddr}, {"PALABRE_HTTP_ADDR", c.HTTPAddr}} {
		if a.addr == "" && a.env == "PALABRE_HTTP_ADDR" {
			continue // none
		}
		if err := checkAddr(a.addr); err != nil {
			return fmt.Errorf("%s: %q: %v", a.env, a.addr, err)
		}
	}
	if c.DataDir == "" {
		return errors.New("PALABRE_DATA_DIR: must not be empty")
	}
	if c.History < 0 || c.History > 10000 {
		return fmt.Errorf("PALABRE_HISTORY: %d is out of range (0 to 10000)", c.History)
	}
	if room.Sanitize(c.Greeting) != c.Greeting {
		return errors.New("PALABRE_GREETING: must be one line of printable text")
	}
	if p := room.CheckName(strings.TrimPrefix(c.Room, "#")); p != room.NameOK {
		return fmt.Errorf("PALABRE_ROOM: %q: %s", c.Room, roomNameProblem(p))
	}
	if strings.TrimSpace(c.Password) != c.Password {
		return errors.New("PALABRE_PASSWORD: must not begin or end with white space (answers are compared without it)")
	}
	ints := []struct {
		env       string
		v, lo, hi int
	}{
		{"PALABRE_MAX_MESSAGE_BYTES", c.MaxMessageBytes, 64, 16384},
		{"PALABRE_MAX_BLOCK_BYTES", c.MaxBlockBytes, 256, 65536},
		{"PALABRE_MSG_BURST", c.MsgBurst, 1, 10000},
		{"PALABRE_MAX_MEMBERS", c.MaxMembers, 1, 1000000},
		{"PALABRE_MAX_ROOMS", c.MaxRooms, 1, 100000},
		{"PALABRE_MAX_PER_IP", c.MaxPerIP, 0, 1000000},
		{"PALABRE_CONNECT_BURST", c.ConnectBurst, 1, 1000000},
		{"PALABRE_IPV6_PREFIX", c.IPv6Prefix, 1, 128},
		{"PALABRE_OUTBOX_BYTES", c.OutboxBytes, 4096, 1 << 30},
	}
	for _, i := range ints {
		if i.v < i.lo || i.v > i.hi {
			return fmt.Errorf("%s: %d is out of range (%d to %d)", i.env, i.v, i.lo, i.hi)
		}
	}
	for _, f := range []struct {
		env string
		v   float64
	}{{"PALABRE_MSG_RATE", c.MsgRate}, {"PALABRE_CONNECT_RATE", c.ConnectRate}} {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("%s: %v must be 0 or more", f.env, f.v)
		}
	}
	for _, d := range []struct {
		env string
		v   time.Duration
	}{{"PALABRE_WRITE_TIMEOUT", c.WriteTimeout}, {"PALABRE_SSH_AUTH_TIMEOUT", c.SSHAuthTimeout}, {"PALABRE_SSH_KEEPALIVE", c.SSHKeepAlive}, {"PALABRE_ROOM_IDLE", c.RoomIdle}} {
		if d.v < 100*time.Millisecond || d.v > 24*time.Hour {
			return fmt.Errorf("%s: %v is out of range (100ms to 24h)", d.env, d.v)
		}
	}
	return c.validateCluster()
}

// roomNameProblem words why a room name is refused: as a member's name
// would be, and the '#' it may start with.
func roomNameProblem(p room.NameProblem) string {
	if p == room.NameBadChars {
		return "only ASCII letters, digits, _ and -, after an optional #"
	}
	return room.LangEN.NameProblem(p)
}

func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want HOST:PORT, e.g. :12800 or 127.0.0.1:12800")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return errors.New("the port must be a number from 0 to 65535")
	}
	return nil
}

// Origins is HTTPOrigins as a list, without blanks.
func (c Config) Origins() []string { return splitList(c.HTTPOrigins) }

// splitList splits a comma-separated setting, without blanks.
func splitList(s string) []string {
	var out []string
	for o := range strings.SplitSeq(s, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// validateCluster checks the cluster's settings together.
func (c Config) validateCluster() error {
	switch {
	case c.NatsURL != "" && c.Embedded():
		return errors.New("PALABRE_NATS_URL: either join a NATS cluster (PALABRE_NATS_URL) or embed a server (PALABRE_NATS_LISTEN, PALABRE_NATS_CLUSTER), not both")
	case c.NatsRoutes != "" && c.NatsCluster == "":
		return errors.New("PALABRE_NATS_ROUTES: needs PALABRE_NATS_CLUSTER, the address the other nodes reach this one's routes on")
	case c.NatsCluster != "" && c.NatsRoutes == "":
		return errors.New("PALABRE_NATS_CLUSTER: needs PALABRE_NATS_ROUTES, the other nodes' routes: a JetStream cluster's servers are told of each other")
	case c.NatsReplicas < 0 || c.NatsReplicas > 5:
		return fmt.Errorf("PALABRE_NATS_REPLICAS: %d is out of range (0 to 5)", c.NatsReplicas)
	}
	for _, a := range []struct{ env, addr string }{{"PALABRE_NATS_LISTEN", c.NatsListen}, {"PALABRE_NATS_CLUSTER", c.NatsCluster}} {
		if a.addr == "" {
			continue
		}
		if err := checkAddr(a.addr); err != nil {
			return fmt.Errorf("%s: %q: %v", a.env, a.addr, err)
		}
	}
	for _, u := range append(splitList(c.NatsURL), c.Routes()...) {
		if !strings.HasPrefix(u, "nats://") && !strings.HasPrefix(u, "tls://") {
			return fmt.Errorf("PALABRE_NATS_URL or PALABRE_NATS_ROUTES: %q: want nats://host:port", u)
		}
	}
	if c.NatsName != "" && room.CheckName(c.NatsName) != room.NameOK && room.CheckName(c.NatsName) != room.NameReserved {
		return fmt.Errorf("PALABRE_NATS_NAME: %q: only ASCII letters, digits, _ and -, 2 to 16 of them", c.NatsName)
	}
	return nil
}
