package room

import (
	"fmt"
	"strings"
)

// describeHand words raised hands and the floor.
func (l Lang) describeHand(m Message) string {
	switch m.Kind {
	case KindHand:
		if m.Others == 0 {
			return fmt.Sprintf(l.pick("%s lowered their hand", "%s a baissé la main"), m.From)
		}
		return fmt.Sprintf(l.pick("%s raised a hand (%d in line)", "%s a levé la main (%d dans la file)"), m.From, m.Others)
	case KindHands:
		if len(m.Members) == 0 {
			return l.pick("No hand is raised.", "Aucune main n'est levée.")
		}
		names := make([]string, len(m.Members))
		for i, mi := range m.Members {
			names[i] = fmt.Sprintf("%d. %s", i+1, mi.Name)
		}
		return fmt.Sprintf(l.pick("%d hand(s) raised: %s", "%d main(s) levée(s) : %s"), len(m.Members), strings.Join(names, ", "))
	case KindFloor:
		return fmt.Sprintf(l.pick("%s, you have the floor", "%s, vous avez la parole"), m.To)
	}
	return ""
}

func (l Lang) describeHandError(m Message) string {
	if m.Err == ErrNoHands {
		return l.pick("no hand is raised: /next has nobody to give the floor to", "aucune main n'est levée : /next n'a personne à qui donner la parole")
	}
	return ""
}
