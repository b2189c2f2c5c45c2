package config

import (
	"log/slog"
	"os"
	"strings"
	"testing"

	"palabre/room"
)

func TestDefaults(t *testing.T) {
	c, err := Load(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{TCPAddr: ":12800", SSHAddr: ":2222", DataDir: "data", Lang: room.LangEN, History: 50, LogLevel: slog.LevelInfo}
	if c != want {
		t.Errorf("defaults = %+v, want %+v", c, want)
	}
}

func TestValues(t *testing.T) {
	c, err := Load(map[string]string{
		"PALABRE_TCP_ADDR": "127.0.0.1:0", "PALABRE_LANG": "FR", "PALABRE_HISTORY": "0",
		"PALABRE_LOG_LEVEL": "debug", "PALABRE_GREETING": "Bonjour la classe",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.TCPAddr != "127.0.0.1:0" || c.Lang != room.LangFR || c.History != 0 || c.LogLevel != slog.LevelDebug || c.Greeting != "Bonjour la classe" {
		t.Errorf("got %+v", c)
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

// A bad value is refused with one line that names its variable.
func TestBadValues(t *testing.T) {
	tests := []struct{ name, value string }{
		{"PALABRE_TCP_ADDR", "12800"},
		{"PALABRE_TCP_ADDR", ":http-ish"},
		{"PALABRE_SSH_ADDR", "localhost:99999"},
		{"PALABRE_LANG", "de"},
		{"PALABRE_GREETING", "two\nlines"},
		{"PALABRE_HISTORY", "many"},
		{"PALABRE_HISTORY", "-1"},
		{"PALABRE_HISTORY", "100001"},
		{"PALABRE_LOG_LEVEL", "loud"},
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
