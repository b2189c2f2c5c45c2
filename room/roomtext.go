package room

import (
	"fmt"
	"strings"
)

// MoveListed bounds the names a member moved into a room is told: with
// whom, up to a screen's line; beyond, how many more.
const MoveListed = 20

// describeRoom words the events and replies about rooms.
func (l Lang) describeRoom(m Message) string {
	switch m.Kind {
	case KindMove:
		var b strings.Builder
		if m.From != "" {
			fmt.Fprintf(&b, l.pick("%s moved you: you are now in #%s", "%s vous a déplacé : vous êtes maintenant dans #%s"), m.From, m.Room)
		} else {
			fmt.Fprintf(&b, l.pick("You are now in #%s", "Vous êtes maintenant dans #%s"), m.Room)
		}
		b.WriteString(l.with(m.Members, m.Others))
		if m.Text != "" {
			b.WriteString("\n")
			b.WriteString(l.Describe(Message{Kind: KindTopic, Text: m.Text}))
		}
		return b.String()
	case KindRooms:
		lines := []string{fmt.Sprintf(l.pick("%d room(s):", "%d salon(s) :"), len(m.Rooms))}
		for _, r := range m.Rooms {
			line := fmt.Sprintf(l.pick("  #%s: %d member(s)", "  #%s : %d membre(s)"), r.Name, r.Members)
			if r.Here {
				line += l.pick(", you are here", ", vous y êtes")
			}
			if r.Topic != "" {
				line += " — " + r.Topic
			}
			lines = append(lines, line)
		}
		lines = append(lines, l.pick("/join ROOM goes to one; /part comes back", "/join SALON pour y aller ; /part pour revenir"))
		return strings.Join(lines, "\n")
	case KindBreakout:
		return fmt.Sprintf(l.pick("%s spread %d member(s) into %d room(s): %s; /gather brings them back",
			"%s a réparti %d membre(s) dans %d salon(s) : %s ; /gather les ramène"), m.From, m.Others, len(m.Rooms), roomList(m.Rooms))
	case KindGather:
		return fmt.Sprintf(l.pick("%s brought %d member(s) back from %s", "%s a ramené %d membre(s) de %s"), m.From, m.Others, roomList(m.Rooms))
	}
	return ""
}

// with says who else is in a room a member has come into.
func (l Lang) with(members []MemberInfo, total int) string {
	if total == 0 {
		return l.pick(", alone for now", ", seul pour l'instant")
	}
	names := make([]string, len(members))
	for i, mi := range members {
		names[i] = mi.Name
	}
	s := fmt.Sprintf(l.pick(", with %s", ", avec %s"), strings.Join(names, ", "))
	if more := total - len(members); more > 0 {
		s += fmt.Sprintf(l.pick(" and %d more", " et %d autre(s)"), more)
	}
	return s
}

func roomList(rooms []RoomInfo) string {
	parts := make([]string, len(rooms))
	for i, r := range rooms {
		parts[i] = fmt.Sprintf("#%s (%d)", r.Name, r.Members)
	}
	return strings.Join(parts, ", ")
}

// describeRoomError words the refusals about rooms; "" for other errors.
func (l Lang) describeRoomError(m Message) string {
	switch m.Err {
	case ErrRoomName:
		why := l.NameProblem(m.Problem)
		if m.Problem == NameTooLong {
			why = fmt.Sprintf(l.pick("at most %d characters", "au plus %d caractères"), MaxRoomNameLen)
		}
		return fmt.Sprintf(l.pick("the room name %q is refused: %s", "le nom de salon %q est refusé : %s"), m.Text, why)
	case ErrNoSuchRoom:
		return fmt.Sprintf(l.pick("there is no room #%s, and only operators make rooms here; /rooms lists them",
			"il n'y a pas de salon #%s, et seuls les opérateurs en créent ici ; /rooms les liste"), m.Text)
	case ErrTooManyRooms:
		return fmt.Sprintf(l.pick("no room #%s: the server has as many rooms as it may; /rooms lists them",
			"pas de salon #%s : le serveur a autant de salons qu'il peut ; /rooms les liste"), m.Text)
	case ErrNotInRoom:
		return fmt.Sprintf(l.pick("%s is not in this room", "%s n'est pas dans ce salon"), m.Text)
	case ErrAlreadyInRoom:
		return fmt.Sprintf(l.pick("you are in #%s already", "vous êtes déjà dans #%s"), m.Text)
	case ErrBreakoutCount:
		if m.Others == 0 {
			return l.pick("nobody to spread: operators stay, and nobody else is in this room",
				"personne à répartir : les opérateurs restent, et personne d'autre n'est dans ce salon")
		}
		return fmt.Sprintf(l.pick("/breakout N takes a number of rooms from 1 to %d (the members to spread: operators stay)",
			"/breakout N prend un nombre de salons de 1 à %d (les membres à répartir : les opérateurs restent)"), min(m.Others, maxBreakout))
	case ErrRoomBusy:
		return fmt.Sprintf(l.pick("#%s has members already: /gather them first", "#%s a déjà des membres : faites d'abord /gather"), m.Text)
	case ErrNoBreakout:
		return fmt.Sprintf(l.pick("#%s has no breakout rooms to gather", "#%s n'a pas de salons de groupe à rassembler"), m.Text)
	}
	return ""
}
