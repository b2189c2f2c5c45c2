package config

import (
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"palabre/room"
)

func TestDefaults(t *testing.T) {
	c, err := Load(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{TCPAddr: ":12800", SSHAddr: ":2222", HTTPAddr: ":8080", Metrics: true, DataDir: "data", Lang: room.LangEN, History: 50, LogLevel: slog.LevelInfo,
		Room: "main", Rooms: room.RoomsOpen, MaxRooms: 100, RoomIdle: 10 * time.Minute,
		MaxMessageBytes: 1024, MaxBlockBytes: 8192, MsgBurst: 5, MsgRate: 2, MaxMembers: 1000, MaxPerIP: 64, ConnectRate: 5, ConnectBurst: 20,
		ExemptCIDRs: CIDRs{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}, IPv6Prefix: 64,
		OutboxBytes: 65536, WriteTimeout: 10 * time.Second, SSHAuthTimeout: 20 * time.Second, SSHKeepAlive: time.Minute}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults = %+v, want %+v", c, want)
	}
}

func TestValues(t *testing.T) {
	c, err := Load(map[string]string{
		"PALABRE_TCP_ADDR": "127.0.0.1:0", "PALABRE_LANG": "FR", "PALABRE_HISTORY": "0",
		"PALABRE_LOG_LEVEL": "debug", "PALABRE_GREETING": "Bonjour la classe", "PALABRE_IPV6_PREFIX": "48",
		"PALABRE_PASSWORD": "open sesame", "PALABRE_ROOM": "#Cours", "PALABRE_ROOMS": "ops", "PALABRE_MAX_ROOMS": "1",
		"PALABRE_ROOM_IDLE": "1h",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.TCPAddr != "127.0.0.1:0" || c.Lang != room.LangFR || c.History != 0 || c.LogLevel != slog.LevelDebug || c.Greeting != "Bonjour la classe" ||
		c.IPv6Prefix != 48 || c.Password != "open sesame" || c.Room != "#Cours" || c.Rooms != room.RoomsOps || c.MaxRooms != 1 || c.RoomIdle != time.Hour {
		t.Errorf("got %+v", c)
	}
}

func TestExemptCIDRs(t *testing.T) {
	for in, want := range map[string]string{
		"none":                      "[]",
		"10.1.2.0/24, 192.0.2.7":    "[10.1.2.0/24 192.0.2.7/32]",
		"10.1.2.3/24,2001:db8::/32": "[10.1.2.0/24 2001:db8::/32]",
	} {
		c, err := Load(map[string]string{"PALABRE_EXEMPT_CIDRS": in})
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got := fmt.Sprint([]netip.Prefix(c.ExemptCIDRs)); got != want {
			t.Errorf("%q gave %s, want %s", in, got, want)
		}
	}
}

// An empty variable means its default, as an unset one does.
func TestEmptyMeansDefault(t *testing.T) {
	c, err := Load(map[string]string{"PALABRE_DATA_DIR": "", "PALABRE_HISTORY": ""})
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "data" || c.History != 50 {
		t.Errorf("got %+v", c)
	}
}

// PALABRE_HTTP_ADDR is the exception: empty, there is no HTTP listener.
func TestEmptyHTTPAddrMeansNone(t *testing.T) {
	for in, want := range map[string]string{"": "", " ": "", "127.0.0.1:0": "127.0.0.1:0"} {
		c, err := Load(map[string]string{"PALABRE_HTTP_ADDR": in, "PALABRE_METRICS": "false"})
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if c.HTTPAddr != want || c.Metrics {
			t.Errorf("%q: HTTPAddr %q, Metrics %v; want %q, false", in, c.HTTPAddr, c.Metrics, want)
		}
	}
}

// A bad value is refused with one line that names its variable.
func TestBadValues(t *testing.T) {
	tests := []struct{ name, value string }{
		{"PALABRE_TCP_ADDR", "12800"},
		{"PALABRE_TCP_ADDR", ":http-ish"},
		{"PALABRE_SSH_ADDR", "localhost:99999"},
		{"PALABRE_HTTP_ADDR", "8080"},
		{"PALABRE_METRICS", "maybe"},
		{"PALABRE_LANG", "de"},
		{"PALABRE_GREETING", "two\nlines"},
		{"PALABRE_HISTORY", "many"},
		{"PALABRE_HISTORY", "-1"},
		{"PALABRE_HISTORY", "100001"},
		{"PALABRE_LOG_LEVEL", "loud"},
		{"PALABRE_MAX_MESSAGE_BYTES", "10"},
		{"PALABRE_MSG_RATE", "-1"},
		{"PALABRE_MSG_RATE", "fast"},
		{"PALABRE_MSG_BURST", "0"},
		{"PALABRE_MAX_MEMBERS", "0"},
		{"PALABRE_EXEMPT_CIDRS", "10.0.0.0/8,classroom"},
		{"PALABRE_IPV6_PREFIX", "0"},
		{"PALABRE_IPV6_PREFIX", "129"},
		{"PALABRE_IPV6_PREFIX", "/64"},
		{"PALABRE_PASSWORD", "sesame "},
		{"PALABRE_PASSWORD", " "},
		{"PALABRE_WRITE_TIMEOUT", "10"},
		{"PALABRE_SSH_KEEPALIVE", "1ms"},
		{"PALABRE_ROOM", "#"},
		{"PALABRE_ROOM", "two words"},
		{"PALABRE_ROOM", "##main"},
		{"PALABRE_ROOM", "salle-à-manger"},
		{"PALABRE_ROOM", "a-room-name-too-long"},
		{"PALABRE_ROOM", "all"},
		{"PALABRE_ROOMS", "teachers"},
		{"PALABRE_MAX_ROOMS", "0"},
		{"PALABRE_MAX_ROOMS", "-1"},
		{"PALABRE_ROOM_IDLE", "0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := Load(map[string]string{tt.name: tt.value})
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.name+": ") || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line starting with %s", msg, tt.name)
			}
		})
	}
}

// .env.example documents every variable with its default.
func TestEnvExampleListsEveryVariable(t *testing.T) {
	b, err := os.ReadFile("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	example := string(b)
	for _, v := range Vars() {
		if !strings.Contains(example, v.Env+"="+v.Default) {
			t.Errorf(".env.example lacks %s=%s", v.Env, v.Default)
		}
	}
}

// The README's configuration table lists every variable with its default.
func TestReadmeListsEveryVariable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, v := range Vars() {
		row := "| `" + v.Env + "` | "
		if v.Default != "" {
			row += "`" + v.Default + "` |"
		}
		if !strings.Contains(readme, row) {
			t.Errorf("README lacks the row %q", row)
		}
	}
}
