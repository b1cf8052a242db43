// Package e2e holds tests that build the jirahooks binary and drive it as a
// user would, over processes and loopback HTTP only. They import nothing of
// this module (not even jiratest), so they see the program and the fake's
// control API as a test suite in any other language would.
package e2e
