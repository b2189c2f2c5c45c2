package room

import (
	"strconv"
	"strings"
)

// Command is what a member's input asks of the room.
type Command uint8

const (
	CmdSay     Command = iota // plain text: a public message
	CmdNick                   // /nick NAME
	CmdWho                    // /who
	CmdMe                     // /me ACTION
	CmdMsg                    // /msg NAME TEXT
	CmdHelp                   // /help
	CmdQuit                   // /quit
	CmdOp                     // /op PASSWORD
	CmdKick                   // /kick NAME [reason]
	CmdMute                   // /mute NAME [duration]
	CmdUnmute                 // /unmute NAME
	CmdBan                    // /ban NAME [duration] [reason]
	CmdUnban                  // /unban KEY|ADDRESS
	CmdBans                   // /bans
	CmdTopic                  // /topic [TEXT]
	CmdRelease                // /release NAME
)

// Input is one parsed line of a member's input.
type Input struct {
	Cmd  Command
	Name string    // CmdNick, CmdMsg: the name argument
	Text string    // CmdSay, CmdMe, CmdMsg: the text
	Word string    // the command as typed, for error replies
	Err  ErrorCode // non-zero when the input cannot be carried out
}

// commandSpec describes one command: the table drives parsing and /help alike.
type commandSpec struct {
	cmd   Command
	name  string // without the slash
	args  int    // 0: none; 1: one word; 2: one word then text; 3: one word, then maybe text; -1: text; -2: maybe text
	usage map[Lang]string
	help  map[Lang]string
	op    bool // for operators only
}

var commands = []commandSpec{
	{CmdNick, "nick", 1,
		map[Lang]string{LangEN: "/nick NAME", LangFR: "/nick NOM"},
		map[Lang]string{LangEN: "change your name", LangFR: "changer de nom"}, false},
	{CmdWho, "who", 0,
		map[Lang]string{LangEN: "/who", LangFR: "/who"},
		map[Lang]string{LangEN: "list the members and their door", LangFR: "lister les membres et leur porte"}, false},
	{CmdMe, "me", -1,
		map[Lang]string{LangEN: "/me ACTION", LangFR: "/me ACTION"},
		map[Lang]string{LangEN: "say what you are doing", LangFR: "décrire ce que vous faites"}, false},
	{CmdMsg, "msg", 2,
		map[Lang]string{LangEN: "/msg NAME TEXT", LangFR: "/msg NOM TEXTE"},
		map[Lang]string{LangEN: "send a private message", LangFR: "envoyer un message privé"}, false},
	{CmdHelp, "help", 0,
		map[Lang]string{LangEN: "/help", LangFR: "/help"},
		map[Lang]string{LangEN: "show this list", LangFR: "afficher cette liste"}, false},
	{CmdQuit, "quit", 0,
		map[Lang]string{LangEN: "/quit", LangFR: "/quit"},
		map[Lang]string{LangEN: "leave the room", LangFR: "quitter le salon"}, false},
	{CmdTopic, "topic", -2,
		map[Lang]string{LangEN: "/topic [TEXT]", LangFR: "/topic [TEXTE]"},
		map[Lang]string{LangEN: "show the topic; operators set it", LangFR: "afficher le sujet ; les opérateurs le changent"}, false},
	{CmdOp, "op", -1,
		map[Lang]string{LangEN: "/op PASSWORD", LangFR: "/op MOT-DE-PASSE"},
		map[Lang]string{LangEN: "become an operator", LangFR: "devenir opérateur"}, false},
	{CmdKick, "kick", 3,
		map[Lang]string{LangEN: "/kick NAME [reason]", LangFR: "/kick NOM [raison]"},
		map[Lang]string{LangEN: "put a member out", LangFR: "exclure un membre"}, true},
	{CmdMute, "mute", 3,
		map[Lang]string{LangEN: "/mute NAME [duration]", LangFR: "/mute NOM [durée]"},
		map[Lang]string{LangEN: "let a member read but not post", LangFR: "un membre lit mais ne parle plus"}, true},
	{CmdUnmute, "unmute", 1,
		map[Lang]string{LangEN: "/unmute NAME", LangFR: "/unmute NOM"},
		map[Lang]string{LangEN: "let a muted member post again", LangFR: "rendre la parole"}, true},
	{CmdBan, "ban", 3,
		map[Lang]string{LangEN: "/ban NAME [duration] [reason]", LangFR: "/ban NOM [durée] [raison]"},
		map[Lang]string{LangEN: "ban a member's key, or its address", LangFR: "bannir la clé d'un membre, ou son adresse"}, true},
	{CmdUnban, "unban", 1,
		map[Lang]string{LangEN: "/unban KEY|ADDRESS", LangFR: "/unban CLÉ|ADRESSE"},
		map[Lang]string{LangEN: "lift a ban", LangFR: "lever un bannissement"}, true},
	{CmdBans, "bans", 0,
		map[Lang]string{LangEN: "/bans", LangFR: "/bans"},
		map[Lang]string{LangEN: "list the bans", LangFR: "lister les bannissements"}, true},
	{CmdRelease, "release", 1,
		map[Lang]string{LangEN: "/release NAME", LangFR: "/release NOM"},
		map[Lang]string{LangEN: "free a name from the key that owns it", LangFR: "libérer un nom de la clé qui le possède"}, true},
}

func (c Command) String() string {
	if c == CmdSay {
		return "say"
	}
	for _, spec := range commands {
		if spec.cmd == c {
			return spec.name
		}
	}
	return "command(" + strconv.Itoa(int(c)) + ")"
}

func lookupCommand(name string) (commandSpec, bool) {
	for _, c := range commands {
		if asciiEqualFold(c.name, name) {
			return c, true
		}
	}
	return commandSpec{}, false
}

// asciiEqualFold compares ASCII case-insensitively: strings.EqualFold would
// let look-alikes such as the Kelvin sign run "/nicK".
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// ParseInput reads one line a member typed. Text that does not start with
// "/" is a public message; "//text" sends "/text" literally.
func ParseInput(line string) Input {
	if rest, ok := strings.CutPrefix(line, "//"); ok {
		return Input{Cmd: CmdSay, Text: "/" + rest}
	}
	rest, ok := strings.CutPrefix(line, "/")
	if !ok {
		return Input{Cmd: CmdSay, Text: line}
	}
	word, args, _ := strings.Cut(rest, " ")
	args = strings.TrimSpace(args)
	in := Input{Word: "/" + word}
	spec, ok := lookupCommand(word)
	if !ok {
		in.Err = ErrUnknownCommand
		return in
	}
	in.Cmd = spec.cmd
	switch spec.args {
	case 0:
		if args != "" {
			in.Err = ErrUsage
		}
	case 1:
		if args == "" || strings.ContainsAny(args, " \t") {
			in.Err = ErrUsage
		}
		in.Name = args
	case 2:
		name, text, _ := strings.Cut(args, " ")
		in.Name, in.Text = name, strings.TrimSpace(text)
		if in.Name == "" || in.Text == "" {
			in.Err = ErrUsage
		}
	case 3:
		name, text, _ := strings.Cut(args, " ")
		in.Name, in.Text = name, strings.TrimSpace(text)
		if in.Name == "" {
			in.Err = ErrUsage
		}
	case -1:
		in.Text = args
		if args == "" {
			in.Err = ErrUsage
		}
	case -2:
		in.Text = args
	}
	return in
}
