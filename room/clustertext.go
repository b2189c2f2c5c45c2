package room

// describeClusterError words a cluster's node being cut off from the
// others, and back.
func (l Lang) describeClusterError(m Message) string {
	switch m.Err {
	case ErrRoomUnavailable:
		return l.pick("the room is unavailable from this server for now: your messages are not sent until it is back",
			"le salon est injoignable depuis ce serveur pour l'instant : vos messages ne partent pas avant son retour")
	case ErrRoomAvailable:
		return l.pick("the room is back: you can write again", "le salon est de retour : vous pouvez écrire à nouveau")
	}
	return ""
}
