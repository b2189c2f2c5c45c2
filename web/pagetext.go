package web

import (
	"golang.org/x/text/language"

	"palabre/room"
)

// pageText is every word of the page, in one language. The page's HTML
// carries them, the static ones in place and the others in data-
// attributes for the script, so that the script holds no language.
type pageText struct {
	Title, Intro                     string
	Name, NameHint                   string
	Password                         string
	Room, RoomHint                   string
	Enter                            string
	Messages, Members, Message, Send string
	Hint                             string
	// For the script: {n} is a number.
	Connecting, Online, Offline, Left string
	Earlier, Missed, NothingMissed    string
	More, Op, Hand                    string
}

var pageTexts = map[room.Lang]pageText{
	room.LangEN: {
		Title: "palabre", Intro: "Join the class chat.",
		Name: "Your name", NameHint: "letters, digits, _ and -; empty: a name is given to you",
		Password: "Room password", Room: "Room", RoomHint: "empty: the main room",
		Enter: "Enter", Messages: "Messages", Members: "Members", Message: "Message", Send: "Send",
		Hint:       "/help lists the commands",
		Connecting: "Connecting…", Online: "Connected", Offline: "Connection lost, trying again in {n} s…",
		Left: "You left the room.", Earlier: "Earlier in the room",
		Missed: "While you were away ({n})", NothingMissed: "Back: nothing missed",
		More: "and {n} more", Op: "operator", Hand: "hand raised",
	},
	room.LangFR: {
		Title: "palabre", Intro: "Rejoindre la discussion du cours.",
		Name: "Votre nom", NameHint: "lettres, chiffres, _ et - ; vide : un nom vous est donné",
		Password: "Mot de passe du salon", Room: "Salon", RoomHint: "vide : le salon principal",
		Enter: "Entrer", Messages: "Messages", Members: "Membres", Message: "Message", Send: "Envoyer",
		Hint:       "/help liste les commandes",
		Connecting: "Connexion…", Online: "Connecté", Offline: "Connexion perdue, nouvel essai dans {n} s…",
		Left: "Vous avez quitté le salon.", Earlier: "Plus tôt dans le salon",
		Missed: "Pendant votre absence ({n})", NothingMissed: "De retour : rien de manqué",
		More: "et {n} de plus", Op: "opérateur", Hand: "main levée",
	},
}

// pageLang is the language of the page for a browser: the server's
// (PALABRE_LANG) unless the browser's Accept-Language prefers the other
// one the page is written in.
func pageLang(acceptLanguage string, server room.Lang) room.Lang {
	other := room.LangFR
	if server == room.LangFR {
		other = room.LangEN
	}
	prefs, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(prefs) == 0 {
		return server
	}
	tags := []language.Tag{language.Make(string(server)), language.Make(string(other))}
	_, i, conf := language.NewMatcher(tags).Match(prefs...)
	if conf == language.No {
		return server
	}
	return []room.Lang{server, other}[i]
}
