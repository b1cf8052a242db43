// Package jiratest provides an in-memory Jira Cloud site for tests, in the
// spirit of net/http/httptest: [NewServer] starts it on a loopback address,
// [Server.URL] is its base URL, [Server.Close] stops it.
//
// It speaks the webhook API the way Jira documents it, so code that works
// against it should work against Jira:
//
//   - The five dynamic webhook operations on /rest/api/2 and /rest/api/3:
//     register (POST /webhook, 200 with one result per item: an id or
//     errors), list (GET /webhook, offset pages), delete (DELETE /webhook,
//     202), refresh (PUT /webhook/refresh) and failed deliveries
//     (GET /webhook/failed, cursor pages, Connect apps only).
//   - Apps are identified by their credentials: an OAuth 2.0 app by its
//     bearer access token ([Server.AddOAuthApp]), a Connect app by a JWT
//     whose qsh is checked ([Server.AddConnectApp]). Users with basic auth
//     get 403 "Only Connect and OAuth 2.0 apps can use this operation.".
//     Each app sees, refreshes and deletes only its own webhooks; ids of
//     other apps are ignored, as Jira ignores them.
//   - jqlFilter is required and must be in the documented subset (fields
//     issueKey, project, issuetype, status, assignee, reporter,
//     issue.property[...] and cf[id]; operators =, !=, IN, NOT IN; AND, OR,
//     parentheses); anything else is a per-item error such as "The clause
//     watchCount is unsupported". Events must be known (see
//     [DefaultEvents], [WithKnownEvents]).
//   - One URL per app: while an app has live webhooks, registering with
//     another URL is refused as a whole with 400 "Only a single URL per app
//     is allowed to be registered." (the rule concerns the request's single
//     url, not an item, and Jira documents 400 for an invalid request).
//   - Pages: GET /webhook answers startAt, maxResults (the size used, at
//     most the server's cap, see [WithMaxResults]), total, isLast, values,
//     self and, unless last, nextPage, all URLs absolute. maxResults=0 gives
//     an empty page that is not the last one when webhooks exist, so a
//     client that follows nextPage blindly loops: guard against it.
//     GET /webhook/failed answers values (oldest first), maxResults and, when
//     values is not empty, next (with failedAfter set to the last failure
//     time); it accepts failedAfter or after. Failures that share a failure
//     time are never split, so a page may exceed maxResults.
//   - Time is a fake [Clock]: webhooks expire [Lifetime] (30 days) after
//     registration or last refresh and then vanish from lists and
//     deliveries; failed deliveries are forgotten after [FailureRetention]
//     (72 hours). [Server.Advance] moves time.
//   - [Server.Emit] delivers an [Event] to the webhooks it matches, with
//     matchedWebhookIds, the X-Atlassian-Webhook-Identifier (the same
//     across retries), X-Atlassian-Webhook-Retry and
//     X-Atlassian-Webhook-Flow headers, and the credentials Jira uses: a
//     bearer HS256 JWT signed with an OAuth app's client secret, a Connect
//     JWT (iss = the installation's clientKey, with qsh) signed with the
//     shared secret, or X-Hub-Signature for admin webhooks with a secret.
//     Failed attempts are retried on the fake clock; deliveries that run
//     out of retries are listed by GET /webhook/failed.
//   - Admin webhooks at /rest/webhooks/1.0/webhook for Jira administrators
//     ([Server.AddAdmin]): create, read, update, delete; they never expire.
//   - Faults: scripted ([Server.ScriptFaults]) or random and reproducible
//     ([Server.SetFaultRate], [WithSeed]) 429 with Retry-After, 500, 503,
//     slow answers and dropped connections, per endpoint.
//   - Matching in Emit: JQL filters are evaluated on the event's issue
//     (project key, id or name; issuetype; status; issueKey; assignee and
//     reporter account ids; custom fields; issue properties). Events
//     without an issue (sprint, version) ignore JQL filters. fieldIdsFilter
//     and issuePropertyKeysFilter are honoured.
//   - Inspection: [Server.Webhooks], [Server.AdminWebhooks],
//     [Server.Requests], [Server.Deliveries], [Server.Failed].
//   - Any language: [WithControlAPI] adds an HTTP control API (emit an
//     event, move the clock, inject faults, list deliveries) under
//     [ControlPrefix], documented in openapi/jiratest-control.yaml;
//     `jirahooks fake` serves such a site on an address of your choice.
//     [SampleEvent] and [Event.Payload] build realistic callbacks by event
//     name without a server, as `jirahooks trigger` sends them.
//
// One Server is one Jira site; servers are cheap, so a test can run many
// sites, optionally on one shared [Clock].
//
// # Determinism
//
// Nothing runs in the background. Emit makes the first attempts before it
// returns; retries happen inside [Clock.Advance] (or [Server.RunDue]), at
// their due times in order, so a test never sleeps or polls. Default retry
// delays and random faults come from a generator seeded with [WithSeed];
// delivery identifiers are random unless WithSeed is given.
//
// Delivery tokens are signed at the fake clock's time. The default clock
// starts at the wall-clock time of NewServer and only moves forward, so a
// verifier using the real clock never sees them expired (their iat may lie
// in its future after Advance). A test whose clock starts in the past
// should verify with the server's clock.
package jiratest
