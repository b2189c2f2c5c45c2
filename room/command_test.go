package room

import "testing"

func TestParseInput(t *testing.T) {
	tests := []struct {
		name string
		line string
		want Input
	}{
		// Plain text and the "//" escape.
		{"plain", "hello world", Input{Cmd: CmdSay, Text: "hello world"}},
		{"empty", "", Input{Cmd: CmdSay, Text: ""}},
		{"leading space is not a command", " /nick bob", Input{Cmd: CmdSay, Text: " /nick bob"}},
		{"slash inside text", "a/b /c", Input{Cmd: CmdSay, Text: "a/b /c"}},
		{"double slash", "//text", Input{Cmd: CmdSay, Text: "/text"}},
		{"double slash command name", "//nick bob", Input{Cmd: CmdSay, Text: "/nick bob"}},
		{"double slash alone", "//", Input{Cmd: CmdSay, Text: "/"}},
		{"triple slash", "///x", Input{Cmd: CmdSay, Text: "//x"}},

		// /nick
		{"nick", "/nick alice", Input{Cmd: CmdNick, Name: "alice", Word: "/nick"}},
		{"nick extra spaces", "/nick   alice  ", Input{Cmd: CmdNick, Name: "alice", Word: "/nick"}},
		{"nick upper case", "/NICK alice", Input{Cmd: CmdNick, Name: "alice", Word: "/NICK"}},
		{"nick mixed case", "/NiCk Bob", Input{Cmd: CmdNick, Name: "Bob", Word: "/NiCk"}},
		{"nick without arg", "/nick", Input{Cmd: CmdNick, Word: "/nick", Err: ErrUsage}},
		{"nick blank arg", "/nick    ", Input{Cmd: CmdNick, Word: "/nick", Err: ErrUsage}},
		{"nick two words", "/nick alice bob", Input{Cmd: CmdNick, Word: "/nick", Err: ErrUsage}},
		{"nick tab inside", "/nick alice\tbob", Input{Cmd: CmdNick, Word: "/nick", Err: ErrUsage}},

		{"kelvin sign is not k", "/nic\u212a bob", Input{Word: "/nic\u212a", Err: ErrUnknownCommand}},
		{"long s is not s", "/m\u017fg bob hi", Input{Word: "/m\u017fg", Err: ErrUnknownCommand}},

		// /who
		{"who", "/who", Input{Cmd: CmdWho, Word: "/who"}},
		{"who trailing space", "/who   ", Input{Cmd: CmdWho, Word: "/who"}},
		{"who upper case", "/WHO", Input{Cmd: CmdWho, Word: "/WHO"}},
		{"who with args", "/who is there", Input{Cmd: CmdWho, Word: "/who", Err: ErrUsage}},

		// /me
		{"me", "/me waves", Input{Cmd: CmdMe, Text: "waves", Word: "/me"}},
		{"me keeps inner spaces", "/me  waves   both hands ", Input{Cmd: CmdMe, Text: "waves   both hands", Word: "/me"}},
		{"me empty", "/me", Input{Cmd: CmdMe, Word: "/me", Err: ErrUsage}},
		{"me blank", "/me    ", Input{Cmd: CmdMe, Word: "/me", Err: ErrUsage}},

		// /msg
		{"msg", "/msg bob hi", Input{Cmd: CmdMsg, Name: "bob", Text: "hi", Word: "/msg"}},
		{"msg extra spaces", "/msg   bob    hello   world  ", Input{Cmd: CmdMsg, Name: "bob", Text: "hello   world", Word: "/msg"}},
		{"msg upper case", "/MSG bob hi", Input{Cmd: CmdMsg, Name: "bob", Text: "hi", Word: "/MSG"}},
		{"msg name only", "/msg bob", Input{Cmd: CmdMsg, Word: "/msg", Err: ErrUsage}},
		{"msg name and blanks", "/msg bob    ", Input{Cmd: CmdMsg, Word: "/msg", Err: ErrUsage}},
		{"msg nothing", "/msg", Input{Cmd: CmdMsg, Word: "/msg", Err: ErrUsage}},

		// /help, /quit
		{"help", "/help", Input{Cmd: CmdHelp, Word: "/help"}},
		{"help with args", "/help nick", Input{Cmd: CmdHelp, Word: "/help", Err: ErrUsage}},
		{"quit", "/quit", Input{Cmd: CmdQuit, Word: "/quit"}},
		{"quit upper case", "/QUIT", Input{Cmd: CmdQuit, Word: "/QUIT"}},
		{"quit with args", "/quit now", Input{Cmd: CmdQuit, Word: "/quit", Err: ErrUsage}},

		// /release (operators)
		{"release", "/release alice", Input{Cmd: CmdRelease, Name: "alice", Word: "/release"}},
		{"release nothing", "/release", Input{Cmd: CmdRelease, Word: "/release", Err: ErrUsage}},
		{"release two names", "/release alice bob", Input{Cmd: CmdRelease, Word: "/release", Err: ErrUsage}},

		// Unknown commands.
		{"unknown", "/foo", Input{Word: "/foo", Err: ErrUnknownCommand}},
		{"unknown with args", "/foo bar baz", Input{Word: "/foo", Err: ErrUnknownCommand}},
		{"unknown prefix of a command", "/ni alice", Input{Word: "/ni", Err: ErrUnknownCommand}},
		{"unknown extension of a command", "/nickname alice", Input{Word: "/nickname", Err: ErrUnknownCommand}},
		{"slash alone", "/", Input{Word: "/", Err: ErrUnknownCommand}},
		{"slash then space", "/ nick alice", Input{Word: "/", Err: ErrUnknownCommand}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseInput(tt.line)
			if tt.want.Err != 0 {
				// On a refusal only the error, the command (when known)
				// and the word as typed matter.
				if got.Err != tt.want.Err || got.Word != tt.want.Word {
					t.Fatalf("ParseInput(%q) = %+v; want Err=%d Word=%q", tt.line, got, tt.want.Err, tt.want.Word)
				}
				if tt.want.Err == ErrUsage && got.Cmd != tt.want.Cmd {
					t.Fatalf("ParseInput(%q).Cmd = %d; want %d", tt.line, got.Cmd, tt.want.Cmd)
				}
				return
			}
			if got != tt.want {
				t.Fatalf("ParseInput(%q) = %+v; want %+v", tt.line, got, tt.want)
			}
		})
	}
}

// TestCommandTable checks that every command in the table can be typed and
// has a usage and help text in both languages.
func TestCommandTable(t *testing.T) {
	seen := map[Command]bool{}
	for _, c := range commands {
		if seen[c.cmd] {
			t.Errorf("command %d listed twice", c.cmd)
		}
		seen[c.cmd] = true
		spec, ok := lookupCommand(c.name)
		if !ok || spec.cmd != c.cmd {
			t.Errorf("lookupCommand(%q) = %v, %v", c.name, spec.cmd, ok)
		}
		for _, l := range []Lang{LangEN, LangFR} {
			if c.usage[l] == "" || c.help[l] == "" {
				t.Errorf("/%s: missing usage or help for %s", c.name, l)
			}
		}
	}
	for _, cmd := range []Command{CmdNick, CmdWho, CmdMe, CmdMsg, CmdHelp, CmdQuit} {
		if !seen[cmd] {
			t.Errorf("command %d missing from the table", cmd)
		}
	}
}
