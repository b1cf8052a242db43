package jiratest

import "slices"

// ControlRoutes exposes the control API's operations to the tests.
func ControlRoutes() []string { return slices.Clone(controlRoutes) }
