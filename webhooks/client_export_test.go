package webhooks

// WithSleepForTest lets the external tests (package webhooks_test) replace
// the retry wait, so that retries against jiratest do not wait in real time.
var WithSleepForTest = withSleep
