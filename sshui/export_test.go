package sshui

// NewEmulator is newEmulator, for the tests of the door from outside.
var NewEmulator = newEmulator
