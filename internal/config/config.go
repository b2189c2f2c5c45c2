// Package config holds palabre's settings: one typed struct read from
// PALABRE_* variables, with defaults in its tags and checks in Validate.
// Every variable also has a command-line flag of the same name, lower-cased
// without the prefix (PALABRE_TCP_ADDR is --tcp-addr).
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"reflect"
	"strconv"
	"strings"

	"github.com/caarlos0/env/v11"

	"palabre/room"
)

// Config is every setting of the server. The help tag is the one-line
// meaning shown by --help, .env.example and the README.
type Config struct {
	TCPAddr  string     `env:"PALABRE_TCP_ADDR" envDefault:":12800" help:"address of the TCP door (the course's protocol)"`
	SSHAddr  string     `env:"PALABRE_SSH_ADDR" envDefault:":2222" help:"address of the SSH door"`
	DataDir  string     `env:"PALABRE_DATA_DIR" envDefault:"data" help:"directory for the server's state (host key, later the transcript)"`
	Lang     room.Lang  `env:"PALABRE_LANG" envDefault:"en" help:"language of every user-facing string: en or fr"`
	Greeting string     `env:"PALABRE_GREETING" help:"first line sent to a TCP member (default: the language's greeting)"`
	History  int        `env:"PALABRE_HISTORY" envDefault:"50" help:"how many recent messages a newcomer is shown (0 to 10000)"`
	LogLevel slog.Level `env:"PALABRE_LOG_LEVEL" envDefault:"info" help:"log level: debug, info, warn or error"`
}

// Var describes one setting, for flags and documentation.
type Var struct {
	Env     string // PALABRE_TCP_ADDR
	Flag    string // tcp-addr
	Default string
	Help    string
	field   string
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
		})
	}
	return vars
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
		return fmt.Errorf("%q is not a whole number", ne.Num)
	}
	return err
}

// Validate checks what the types alone do not.
func (c Config) Validate() error {
	for _, a := range []struct{ env, addr string }{{"PALABRE_TCP_ADDR", c.TCPAddr}, {"PALABRE_SSH_ADDR", c.SSHAddr}} {
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
	return nil
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
