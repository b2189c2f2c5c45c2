package room

import (
	"fmt"
	"strings"
)

// Lang is the language of every string a member reads. The doors format
// chat lines themselves; the words of system events live here, once.
type Lang string

const (
	LangEN Lang = "en"
	LangFR Lang = "fr"
)

func (l *Lang) UnmarshalText(b []byte) error {
	switch v := Lang(strings.ToLower(string(b))); v {
	case LangEN, LangFR:
		*l = v
		return nil
	}
	return fmt.Errorf("unknown language %q (want en or fr)", b)
}

func (l Lang) fr() bool { return l == LangFR }

func (l Lang) pick(en, fr string) string {
	if l.fr() {
		return fr
	}
	return en
}

// Greeting is the first line a member reads; in French it is the course's own.
func (l Lang) Greeting() string {
	return l.pick("You are connected. Please send your messages.",
		"Vous êtes connectés. SVP, envoyez vos messages.")
}

// Welcome tells a newcomer its name and how many others are there.
func (l Lang) Welcome(name string, others int) string {
	return fmt.Sprintf(l.pick("You are %s; %d other(s) here. /help lists the commands.",
		"Vous êtes %s ; %d autre(s) ici. /help liste les commandes."), name, others)
}

// Reason words a leave reason.
func (l Lang) Reason(r Reason) string {
	if !l.fr() {
		return r.String()
	}
	switch r {
	case ReasonQuit:
		return "a quitté"
	case ReasonFIN:
		return "FIN"
	case ReasonClosed:
		return "connexion fermée"
	case ReasonLost:
		return "connexion perdue"
	case ReasonTooSlow:
		return "trop lent"
	case ReasonShutdown:
		return "arrêt du serveur"
	case ReasonTooLong:
		return "message trop long"
	case ReasonError:
		return "erreur du serveur"
	}
	return r.String()
}

// Refusal says why a connection is turned away before it joins the room.
type Refusal uint8

const (
	RefusedFull     Refusal = iota + 1 // the room holds its maximum of members
	RefusedTooMany                     // too many connections from one address
	RefusedTooFast                     // too many new connections from one address
	RefusedShutdown                    // the server is stopping
)

// Refusal words a refusal: the one line a turned-away connection reads.
func (l Lang) Refusal(r Refusal) string {
	switch r {
	case RefusedFull:
		return l.pick("The room is full; try again later.", "Le salon est plein ; réessayez plus tard.")
	case RefusedTooMany:
		return l.pick("Too many connections from your address.", "Trop de connexions depuis votre adresse.")
	case RefusedTooFast:
		return l.pick("Too many new connections from your address; try again in a moment.",
			"Trop de nouvelles connexions depuis votre adresse ; réessayez dans un instant.")
	}
	return l.Describe(Message{Kind: KindShutdown})
}

// NameProblem words why a name was refused.
func (l Lang) NameProblem(p NameProblem) string {
	switch p {
	case NameTooShort:
		return fmt.Sprintf(l.pick("at least %d characters", "au moins %d caractères"), MinNameLen)
	case NameTooLong:
		return fmt.Sprintf(l.pick("at most %d characters", "au plus %d caractères"), MaxNameLen)
	case NameBadChars:
		return l.pick("only ASCII letters, digits, _ and -", "seulement des lettres ASCII, des chiffres, _ et -")
	case NameReserved:
		return l.pick("this name is reserved", "ce nom est réservé")
	}
	return ""
}

// Describe words a system event or reply. Help and who may span lines,
// separated by "\n". Chat, action and private messages are formatted by
// the doors and get "".
func (l Lang) Describe(m Message) string {
	switch m.Kind {
	case KindJoin:
		return fmt.Sprintf(l.pick("%s joined (%s)", "%s a rejoint le salon (%s)"), m.From, m.Door)
	case KindLeave:
		return fmt.Sprintf(l.pick("%s left (%s)", "%s est parti (%s)"), m.From, l.Reason(m.Reason))
	case KindNick:
		return fmt.Sprintf(l.pick("%s is now known as %s", "%s s'appelle désormais %s"), m.From, m.To)
	case KindWho:
		names := make([]string, len(m.Members))
		for i, mi := range m.Members {
			names[i] = fmt.Sprintf("%s (%s)", mi.Name, mi.Door)
		}
		return fmt.Sprintf(l.pick("%d member(s): %s", "%d membre(s) : %s"), len(m.Members), strings.Join(names, ", "))
	case KindHelp:
		lines := []string{l.pick("Commands:", "Commandes :")}
		for _, c := range commands {
			lines = append(lines, fmt.Sprintf("  %-16s %s", c.usage[l.orEN()], c.help[l.orEN()]))
		}
		lines = append(lines, l.pick("  //text           send text that starts with /", "  //texte          envoyer un texte qui commence par /"))
		return strings.Join(lines, "\n")
	case KindShutdown:
		return l.pick("The server is shutting down. Goodbye!", "Le serveur s'arrête. Au revoir !")
	case KindError:
		return l.describeError(m)
	}
	return ""
}

func (l Lang) orEN() Lang {
	if l.fr() {
		return LangFR
	}
	return LangEN
}

func (l Lang) describeError(m Message) string {
	switch m.Err {
	case ErrUnknownCommand:
		return fmt.Sprintf(l.pick("unknown command %s; /help lists the commands (// sends a leading /)",
			"commande inconnue %s ; /help liste les commandes (// envoie un / au début)"), m.Text)
	case ErrUsage:
		usage := m.Text
		if spec, ok := lookupCommand(strings.TrimPrefix(m.Text, "/")); ok {
			usage = spec.usage[l.orEN()]
		}
		return fmt.Sprintf(l.pick("usage: %s", "usage : %s"), usage)
	case ErrNoSuchMember:
		return fmt.Sprintf(l.pick("nobody called %s is here", "personne ne s'appelle %s ici"), m.Text)
	case ErrNameTaken:
		return fmt.Sprintf(l.pick("the name %s is taken", "le nom %s est déjà pris"), m.Text)
	case ErrNameInvalid:
		return fmt.Sprintf(l.pick("the name %q is refused: %s", "le nom %q est refusé : %s"), m.Text, l.NameProblem(m.Problem))
	case ErrMsgSelf:
		return l.pick("you cannot send a private message to yourself", "vous ne pouvez pas vous envoyer un message privé")
	}
	return fmt.Sprintf("error %d", m.Err)
}
