package room

import (
	"strconv"
	"strings"
	"time"
)

// Command is what a member's input asks of the room.
type Command uint8

const (
	CmdSay      Command = iota // plain text: a public message
	CmdNick                    // /nick NAME
	CmdWho                     // /who
	CmdMe                      // /me ACTION
	CmdMsg                     // /msg NAME TEXT
	CmdHelp                    // /help
	CmdQuit                    // /quit
	CmdOp                      // /op PASSWORD
	CmdKick                    // /kick NAME [reason]
	CmdMute                    // /mute NAME [duration]
	CmdUnmute                  // /unmute NAME
	CmdBan                     // /ban NAME [duration] [reason]
	CmdUnban                   // /unban N|NAME|KEY|ADDRESS
	CmdBans                    // /bans
	CmdTopic                   // /topic [TEXT|-]
	CmdRelease                 // /release NAME
	CmdJoin                    // /join ROOM
	CmdPart                    // /part
	CmdRooms                   // /rooms
	CmdBreakout                // /breakout N
	CmdGather                  // /gather
	CmdSlow                    // /slow DURATION|off
	CmdQuiet                   // /quiet
	CmdOpen                    // /open
	CmdPoll                    // /poll [QUESTION | CHOICE | CHOICE …]
	CmdVote                    // /vote N
	CmdEndPoll                 // /endpoll
	CmdHand                    // /hand
	CmdHands                   // /hands
	CmdNext                    // /next
	CmdAsk                     // /ask TEXT
	CmdUp                      // /up N
	CmdQueue                   // /questions
	CmdAnswer                  // /answer N [text]
	CmdDismiss                 // /dismiss N
	CmdAnon                    // /anonymous on|off
)

// Input is one parsed line of a member's input.
type Input struct {
	Cmd  Command
	Name string        // CmdNick, CmdMsg: the name argument
	Text string        // CmdSay, CmdMe, CmdMsg: the text; CmdBan: the reason; with ErrBadDuration: the word that is no duration
	Dur  time.Duration // CmdMute, CmdBan: the duration given; 0: none (until lifted)
	Word string        // the command as typed, for error replies
	Err  ErrorCode     // non-zero when the input cannot be carried out
}

// What a command takes after its name.
const (
	argsNone        = iota // nothing
	argsWord               // one word
	argsWordText           // one word, then text
	argsWordMaybe          // one word, then maybe text
	argsText               // text
	argsMaybeText          // maybe text
	argsWordDur            // one word, then maybe a duration (ParseDuration)
	argsWordDurText        // one word, then maybe a duration (a word starting with a digit), then maybe text
)

// commandSpec describes one command: the table drives parsing and /help alike.
type commandSpec struct {
	cmd   Command
	name  string // without the slash
	args  int    // argsNone…
	usage map[Lang]string
	help  map[Lang]string
	op    bool // for operators only: /help shows it to them alone
	// opUsage and opHelp, when set, are what the command does for an
	// operator besides: /help shows them in the operators' part.
	opUsage, opHelp map[Lang]string
}

var commands = []commandSpec{
	{cmd: CmdNick, name: "nick", args: argsWord,
		usage: map[Lang]string{LangEN: "/nick NAME", LangFR: "/nick NOM"},
		help:  map[Lang]string{LangEN: "change your name", LangFR: "changer de nom"}},
	{cmd: CmdWho, name: "who", args: argsNone,
		usage: map[Lang]string{LangEN: "/who", LangFR: "/who"},
		help:  map[Lang]string{LangEN: "list the members and their door", LangFR: "lister les membres et leur porte"}},
	{cmd: CmdMe, name: "me", args: argsText,
		usage: map[Lang]string{LangEN: "/me ACTION", LangFR: "/me ACTION"},
		help:  map[Lang]string{LangEN: "say what you are doing", LangFR: "décrire ce que vous faites"}},
	{cmd: CmdMsg, name: "msg", args: argsWordText,
		usage: map[Lang]string{LangEN: "/msg NAME TEXT", LangFR: "/msg NOM TEXTE"},
		help:  map[Lang]string{LangEN: "send a private message", LangFR: "envoyer un message privé"}},
	{cmd: CmdHelp, name: "help", args: argsNone,
		usage: map[Lang]string{LangEN: "/help", LangFR: "/help"},
		help:  map[Lang]string{LangEN: "show this list", LangFR: "afficher cette liste"}},
	{cmd: CmdQuit, name: "quit", args: argsNone,
		usage: map[Lang]string{LangEN: "/quit", LangFR: "/quit"},
		help:  map[Lang]string{LangEN: "leave the room", LangFR: "quitter le salon"}},
	{cmd: CmdTopic, name: "topic", args: argsMaybeText,
		usage:   map[Lang]string{LangEN: "/topic", LangFR: "/topic"},
		help:    map[Lang]string{LangEN: "show the topic", LangFR: "afficher le sujet"},
		opUsage: map[Lang]string{LangEN: "/topic TEXT, /topic -", LangFR: "/topic TEXTE, /topic -"},
		opHelp:  map[Lang]string{LangEN: "set the topic; - clears it", LangFR: "changer le sujet ; - l'efface"}},
	{cmd: CmdJoin, name: "join", args: argsWord,
		usage: map[Lang]string{LangEN: "/join ROOM", LangFR: "/join SALON"},
		help:  map[Lang]string{LangEN: "go to another room (made if it does not exist)", LangFR: "aller dans un autre salon (créé s'il n'existe pas)"}},
	{cmd: CmdPart, name: "part", args: argsNone,
		usage: map[Lang]string{LangEN: "/part", LangFR: "/part"},
		help:  map[Lang]string{LangEN: "go back to the main room", LangFR: "revenir au salon principal"}},
	{cmd: CmdRooms, name: "rooms", args: argsNone,
		usage: map[Lang]string{LangEN: "/rooms", LangFR: "/rooms"},
		help:  map[Lang]string{LangEN: "list the rooms, their members and topics", LangFR: "lister les salons, leurs membres et sujets"}},
	{cmd: CmdOp, name: "op", args: argsText,
		usage: map[Lang]string{LangEN: "/op PASSWORD", LangFR: "/op MOT-DE-PASSE"},
		help:  map[Lang]string{LangEN: "become an operator", LangFR: "devenir opérateur"}},
	{cmd: CmdKick, name: "kick", args: argsWordMaybe, op: true,
		usage: map[Lang]string{LangEN: "/kick NAME [reason]", LangFR: "/kick NOM [raison]"},
		help:  map[Lang]string{LangEN: "put a member out", LangFR: "exclure un membre"}},
	{cmd: CmdMute, name: "mute", args: argsWordDur, op: true,
		usage: map[Lang]string{LangEN: "/mute NAME [duration]", LangFR: "/mute NOM [durée]"},
		help:  map[Lang]string{LangEN: "let a member read but not post", LangFR: "un membre lit mais ne parle plus"}},
	{cmd: CmdUnmute, name: "unmute", args: argsWord, op: true,
		usage: map[Lang]string{LangEN: "/unmute NAME", LangFR: "/unmute NOM"},
		help:  map[Lang]string{LangEN: "let a muted member post again", LangFR: "rendre la parole"}},
	{cmd: CmdBan, name: "ban", args: argsWordDurText, op: true,
		usage: map[Lang]string{LangEN: "/ban NAME [duration] [reason]", LangFR: "/ban NOM [durée] [raison]"},
		help:  map[Lang]string{LangEN: "ban a member's key, or its address", LangFR: "bannir la clé d'un membre, ou son adresse"}},
	{cmd: CmdBans, name: "bans", args: argsNone, op: true,
		usage: map[Lang]string{LangEN: "/bans", LangFR: "/bans"},
		help:  map[Lang]string{LangEN: "list the bans, numbered", LangFR: "lister les bannissements, numérotés"}},
	{cmd: CmdUnban, name: "unban", args: argsWord, op: true,
		usage: map[Lang]string{LangEN: "/unban N|NAME|KEY|ADDRESS", LangFR: "/unban N|NOM|CLÉ|ADRESSE"},
		help:  map[Lang]string{LangEN: "lift a ban (N: its number in /bans)", LangFR: "lever un bannissement (N : son numéro dans /bans)"}},
	{cmd: CmdBreakout, name: "breakout", args: argsWord, op: true,
		usage: map[Lang]string{LangEN: "/breakout N", LangFR: "/breakout N"},
		help:  map[Lang]string{LangEN: "spread this room's members (not operators) into N rooms", LangFR: "répartir les membres de ce salon (sauf opérateurs) dans N salons"}},
	{cmd: CmdGather, name: "gather", args: argsNone, op: true,
		usage: map[Lang]string{LangEN: "/gather", LangFR: "/gather"},
		help:  map[Lang]string{LangEN: "bring everyone back from the breakout rooms", LangFR: "ramener tout le monde des salons de groupe"}},
	{cmd: CmdRelease, name: "release", args: argsWord, op: true,
		usage: map[Lang]string{LangEN: "/release NAME", LangFR: "/release NOM"},
		help:  map[Lang]string{LangEN: "free a name from the key that owns it", LangFR: "libérer un nom de la clé qui le possède"}},
	{cmd: CmdSlow, name: "slow", args: argsWord, op: true,
		usage: map[Lang]string{LangEN: "/slow DURATION, /slow off", LangFR: "/slow DURÉE, /slow off"},
		help:  map[Lang]string{LangEN: "in this room, each member posts at most once per DURATION", LangFR: "dans ce salon, chacun écrit au plus une fois par DURÉE"}},
	{cmd: CmdQuiet, name: "quiet", args: argsNone, op: true,
		usage: map[Lang]string{LangEN: "/quiet", LangFR: "/quiet"},
		help:  map[Lang]string{LangEN: "only operators post in this room (/ask and /hand still work)", LangFR: "seuls les opérateurs écrivent dans ce salon (/ask et /hand restent possibles)"}},
	{cmd: CmdOpen, name: "open", args: argsNone, op: true,
		usage: map[Lang]string{LangEN: "/open", LangFR: "/open"},
		help:  map[Lang]string{LangEN: "end /quiet: everyone posts again", LangFR: "fin de /quiet : tout le monde écrit de nouveau"}},
	{cmd: CmdPoll, name: "poll", args: argsMaybeText,
		usage:   map[Lang]string{LangEN: "/poll", LangFR: "/poll"},
		help:    map[Lang]string{LangEN: "show the open poll and its votes", LangFR: "afficher le sondage ouvert et ses votes"},
		opUsage: map[Lang]string{LangEN: "/poll QUESTION | CHOICE | CHOICE …", LangFR: "/poll QUESTION | CHOIX | CHOIX …"},
		opHelp:  map[Lang]string{LangEN: "open a poll in this room (2 to 9 choices)", LangFR: "ouvrir un sondage dans ce salon (2 à 9 choix)"}},
	{cmd: CmdVote, name: "vote", args: argsWord,
		usage: map[Lang]string{LangEN: "/vote N", LangFR: "/vote N"},
		help:  map[Lang]string{LangEN: "vote for choice N of the open poll (until it closes)", LangFR: "voter pour le choix N du sondage ouvert (jusqu'à sa clôture)"}},
	{cmd: CmdEndPoll, name: "endpoll", args: argsNone, op: true,
		usage: map[Lang]string{LangEN: "/endpoll", LangFR: "/endpoll"},
		help:  map[Lang]string{LangEN: "close the poll and post its result", LangFR: "clore le sondage et publier son résultat"}},
	{cmd: CmdHand, name: "hand", args: argsNone,
		usage: map[Lang]string{LangEN: "/hand", LangFR: "/hand"},
		help:  map[Lang]string{LangEN: "raise your hand, or lower it", LangFR: "lever la main, ou la baisser"}},
	{cmd: CmdHands, name: "hands", args: argsNone,
		usage: map[Lang]string{LangEN: "/hands", LangFR: "/hands"},
		help:  map[Lang]string{LangEN: "list the raised hands in order", LangFR: "lister les mains levées, dans l'ordre"}},
	{cmd: CmdNext, name: "next", args: argsNone, op: true,
		usage: map[Lang]string{LangEN: "/next", LangFR: "/next"},
		help:  map[Lang]string{LangEN: "give the floor to the first raised hand", LangFR: "donner la parole à la première main levée"}},
	{cmd: CmdAsk, name: "ask", args: argsText,
		usage: map[Lang]string{LangEN: "/ask QUESTION", LangFR: "/ask QUESTION"},
		help:  map[Lang]string{LangEN: "add a question to the room's queue", LangFR: "ajouter une question à la file du salon"}},
	{cmd: CmdUp, name: "up", args: argsWord,
		usage: map[Lang]string{LangEN: "/up N", LangFR: "/up N"},
		help:  map[Lang]string{LangEN: "upvote question N", LangFR: "soutenir la question N"}},
	{cmd: CmdQueue, name: "questions", args: argsNone,
		usage: map[Lang]string{LangEN: "/questions", LangFR: "/questions"},
		help:  map[Lang]string{LangEN: "list the open questions by votes", LangFR: "lister les questions ouvertes par votes"}},
	{cmd: CmdAnswer, name: "answer", args: argsWordMaybe, op: true,
		usage: map[Lang]string{LangEN: "/answer N [text]", LangFR: "/answer N [texte]"},
		help:  map[Lang]string{LangEN: "mark question N answered, with the answer", LangFR: "marquer la question N répondue, avec la réponse"}},
	{cmd: CmdDismiss, name: "dismiss", args: argsWord, op: true,
		usage: map[Lang]string{LangEN: "/dismiss N", LangFR: "/dismiss N"},
		help:  map[Lang]string{LangEN: "drop question N", LangFR: "écarter la question N"}},
	{cmd: CmdAnon, name: "anonymous", args: argsWord, op: true,
		usage: map[Lang]string{LangEN: "/anonymous on|off", LangFR: "/anonymous on|off"},
		help:  map[Lang]string{LangEN: "hide from members who asks this room's questions, or not", LangFR: "cacher aux membres qui pose les questions du salon, ou non"}},
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

// opOnly reports whether c is for operators only.
func (c Command) opOnly() bool {
	for _, spec := range commands {
		if spec.cmd == c {
			return spec.op
		}
	}
	return false
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
	case argsNone:
		if args != "" {
			in.Err = ErrUsage
		}
	case argsWord:
		if args == "" || strings.ContainsAny(args, " \t") {
			in.Err = ErrUsage
		}
		in.Name = args
	case argsWordText:
		name, text, _ := strings.Cut(args, " ")
		in.Name, in.Text = name, strings.TrimSpace(text)
		if in.Name == "" || in.Text == "" {
			in.Err = ErrUsage
		}
	case argsWordMaybe, argsWordDur, argsWordDurText:
		name, text, _ := strings.Cut(args, " ")
		in.Name, in.Text = name, strings.TrimSpace(text)
		if in.Name == "" {
			in.Err = ErrUsage
			break
		}
		in.takeDuration(spec.args)
	case argsText:
		in.Text = args
		if args == "" {
			in.Err = ErrUsage
		}
	case argsMaybeText:
		in.Text = args
	}
	return in
}

// takeDuration takes the duration off the front of in.Text, for the
// commands that have one: all of the text for argsWordDur, its first word
// when it starts with a digit for argsWordDurText. A duration that cannot
// be read is an error, never "none": that would mean until lifted.
func (in *Input) takeDuration(args int) {
	word, rest := in.Text, ""
	switch args {
	case argsWordDur:
	case argsWordDurText:
		word, rest, _ = strings.Cut(in.Text, " ")
		if !looksLikeDuration(word) {
			return // no duration: the text is the reason
		}
	default:
		return
	}
	if word == "" {
		return
	}
	d, err := ParseDuration(word)
	if err != nil {
		in.Err, in.Text = ErrBadDuration, word
		return
	}
	in.Dur, in.Text = d, strings.TrimSpace(rest)
}
