package sshui

import (
	"strings"
	"time"

	"palabre/room"
)

// commandWords are commands that people and tools run over SSH on their
// own: `ssh host ls` asks what the server is, not for a room called ls, and
// is refused as any command is. A room of such a name is still entered as
// `ssh host '#ls'`, or with /join.
var commandWords = map[string]bool{
	"ls": true, "id": true, "pwd": true, "whoami": true, "uname": true, "uptime": true, "date": true,
	"true": true, "false": true, "env": true, "sh": true, "bash": true, "zsh": true, "cat": true,
	"echo": true, "exit": true, "logout": true, "hostname": true, "ps": true, "top": true,
	"scp": true, "sftp": true, "rsync": true, "git": true,
}

// roomCommand is what a session's command asks of the door.
type roomCommand struct {
	room    string           // the room to enter; "": the default
	refused bool             // the command is no room: the session is refused
	problem room.NameProblem // refused: why the word is no room's name; NameOK: it is no room at all
	word    string           // refused for problem: the word, as the member is told it
}

// roomOf reads a session's command: none enters the default room, and one
// word that names a room (`tp1`, `#tp1`) enters that room. Anything else is
// refused: several words (scp, git) or a command word are no room at all,
// and a word that cannot be a room's name is refused saying why.
func roomOf(command string) roomCommand {
	words := strings.Fields(command)
	switch {
	case len(words) == 0:
		return roomCommand{}
	case len(words) > 1:
		return roomCommand{refused: true}
	}
	word := words[0]
	if !strings.HasPrefix(word, "#") && commandWords[strings.ToLower(word)] {
		return roomCommand{refused: true}
	}
	name, p := room.CheckRoomName(word)
	if p != room.NameOK {
		return roomCommand{refused: true, problem: p, word: room.Clip(name, 64)}
	}
	return roomCommand{room: name}
}

// arrival tells a member that entered a room other than the default one,
// as its command asked, where it is and with whom, as a move would; ok is
// false in the default room, whose members see what they always saw.
func (s *Server) arrival(m *room.Member) (msg room.Message, ok bool) {
	r := m.Room()
	if r == nil || r == s.opts.Hub.DefaultRoom() {
		return room.Message{}, false
	}
	head, count := s.opts.Hub.MembersHead(m, room.MoveListed+1)
	msg = room.Message{At: time.Now(), Kind: room.KindMove, Room: r.Name(), Others: max(count-1, 0)}
	for _, mi := range head {
		if mi.Name != m.Name() && len(msg.Members) < room.MoveListed {
			msg.Members = append(msg.Members, mi)
		}
	}
	return msg, true
}
