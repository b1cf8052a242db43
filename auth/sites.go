package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// APIBase is the root of Atlassian's API gateway, through which OAuth 2.0
// apps reach a site's REST API.
const APIBase = "https://api.atlassian.com"

// Site is a Jira site (an "accessible resource") an OAuth 2.0 grant covers.
type Site struct {
	// ID is the site's cloudId.
	ID string `json:"id"`
	// URL is the site's own URL, such as https://your-domain.atlassian.net.
	URL string `json:"url"`
	// Name is the site's name (the subdomain).
	Name string `json:"name"`
	// Scopes are the scopes granted for the site.
	Scopes []string `json:"scopes"`
	// AvatarURL is the site's avatar.
	AvatarURL string `json:"avatarUrl"`

	apiBase string
}

// BaseURL returns the URL an OAuth 2.0 app reaches the site's REST API at,
// https://api.atlassian.com/ex/jira/{cloudId}: the base URL for
// webhooks.NewClient.
func (s Site) BaseURL() string {
	base := s.apiBase
	if base == "" {
		base = APIBase
	}
	return base + "/ex/jira/" + s.ID
}

// Sites lists the sites the OAuth 2.0 grant behind hc covers, from
// GET https://api.atlassian.com/oauth/token/accessible-resources. hc must
// authenticate with the grant's access token (for example
// [TokenSource.Client]).
func Sites(ctx context.Context, hc *http.Client) ([]Site, error) {
	return SitesAt(ctx, hc, APIBase)
}

// SitesAt is [Sites] against another API gateway root (a test server);
// the sites' BaseURL is under apiBase as well.
func SitesAt(ctx context.Context, hc *http.Client, apiBase string) ([]Site, error) {
	apiBase = strings.TrimSuffix(apiBase, "/")
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiBase+"/oauth/token/accessible-resources", nil)
	if err != nil {
		return nil, fmt.Errorf("auth: accessible resources: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("auth: accessible resources: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("auth: accessible resources: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("auth: accessible resources: %s", resp.Status)
	}
	var sites []Site
	if err := json.Unmarshal(body, &sites); err != nil {
		return nil, fmt.Errorf("auth: accessible resources: %w", err)
	}
	for i := range sites {
		sites[i].apiBase = apiBase
	}
	return sites, nil
}

// SiteByURL returns the site among sites whose URL is siteURL (compared
// without a trailing slash, case-insensitively), and whether there is one.
func SiteByURL(sites []Site, siteURL string) (Site, bool) {
	want := strings.TrimSuffix(siteURL, "/")
	for _, s := range sites {
		if strings.EqualFold(strings.TrimSuffix(s.URL, "/"), want) {
			return s, true
		}
	}
	return Site{}, false
}
