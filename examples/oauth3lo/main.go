// Command oauth3lo runs Atlassian's OAuth 2.0 (3LO) consent flow for a Jira
// Cloud app, keeps the token in a file store, finds the Jira site, and lists
// the app's dynamic webhooks there.
//
// Create an OAuth 2.0 integration at https://developer.atlassian.com/console/myapps/
// with the Jira scopes manage:jira-webhook and read:jira-work, and the
// callback URL http://127.0.0.1:8080/callback (or whatever -addr says).
// Then:
//
//	export JIRA_CLIENT_ID=... JIRA_CLIENT_SECRET=...
//	go run ./examples/oauth3lo
//
// The first run opens the consent screen in a browser (and prints its URL);
// later runs reuse the stored token, which the token source refreshes and
// saves again as Atlassian rotates it. Run with -consent to start over.
//
// Atlassian ends every grant 365 days after consent. The token file records
// when consent was given, and the program alerts (on stderr, where a real
// app would page someone or mail the user a consent link) from 30 days
// before that day (-reconsent-notice), or when the consent time is unknown.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/jirahooks/jirahooks/auth"
	"github.com/jirahooks/jirahooks/webhooks"
	"golang.org/x/oauth2"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address of the local callback server (registered as http://ADDR/callback)")
	dir := flag.String("dir", defaultDir(), "directory of the token store")
	key := flag.String("key", "default", "key of the grant in the token store")
	siteURL := flag.String("site", "", "Jira site to use, such as https://your-domain.atlassian.net (default: the first the grant covers)")
	consent := flag.Bool("consent", false, "ask for consent even if a token is stored")
	notice := flag.Duration("reconsent-notice", auth.DefaultReconsentNotice, "alert this long before the grant's 365-day expiry")
	flag.Parse()
	log.SetFlags(0)

	clientID, clientSecret := os.Getenv("JIRA_CLIENT_ID"), os.Getenv("JIRA_CLIENT_SECRET")
	if clientID == "" || clientSecret == "" {
		log.Fatal("set JIRA_CLIENT_ID and JIRA_CLIENT_SECRET to the app's credentials")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	cfg := auth.NewConfig(clientID, clientSecret, "http://"+*addr+"/callback")
	store, err := auth.NewFileStore(*dir)
	if err != nil {
		log.Fatal(err)
	}

	_, err = store.Load(ctx, *key)
	if *consent || errors.Is(err, auth.ErrTokenNotFound) {
		tok, err := runConsent(ctx, cfg, *addr)
		if err != nil {
			log.Fatal(err)
		}
		// Save before anything uses the token.
		if err := store.Save(ctx, *key, tok); err != nil {
			log.Fatal(err)
		}
		log.Printf("token stored in %s", store.Path(*key))
	} else if err != nil {
		log.Fatal(err)
	}

	hc := newTokenSource(cfg, store, *key, *notice, os.Stderr).Client()
	if err := listWebhooks(ctx, hc, *siteURL); err != nil {
		if errors.Is(err, auth.ErrConsentRequired) {
			log.Fatalf("%v\nthe grant is gone: run again with -consent", err)
		}
		log.Fatal(err)
	}
}

// newTokenSource returns the token source of the grant under key, which
// alerts on alerts when the grant is due for re-consent.
func newTokenSource(cfg *oauth2.Config, store auth.TokenStore, key string, notice time.Duration, alerts io.Writer) *auth.TokenSource {
	return auth.NewTokenSource(cfg, store, key,
		auth.WithReconsentNotice(notice),
		auth.WithReconsentAlert(func(g auth.GrantStatus) { reconsentAlert(alerts, g) }))
}

// reconsentAlert is where a real app pages someone or mails the user a
// link to the consent screen; this one writes a line to w.
func reconsentAlert(w io.Writer, g auth.GrantStatus) {
	fmt.Fprintf(w, "ALERT: %v (run with -consent)\n", g)
}

// runConsent sends the user to Atlassian's consent screen and exchanges the
// code the local callback server receives.
func runConsent(ctx context.Context, cfg *oauth2.Config, addr string) (*oauth2.Token, error) {
	state, verifier := auth.NewState(), auth.NewState()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	codes := make(chan string, 1)
	errs := make(chan error, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		code, err := auth.CallbackCode(r.URL.Query(), state)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			select {
			case errs <- err:
			default:
			}
			return
		}
		fmt.Fprintln(w, "Authorized. You can close this window.")
		select {
		case codes <- code:
		default:
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	consentURL := auth.AuthCodeURL(cfg, state, verifier)
	fmt.Printf("Open this URL to grant access:\n\n  %s\n\n", consentURL)
	openBrowser(consentURL)

	select {
	case code := <-codes:
		return auth.Exchange(ctx, cfg, nil, code, verifier)
	case err := <-errs:
		return nil, err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the OAuth callback: %w", ctx.Err())
	}
}

// listWebhooks finds the site and prints the webhooks registered there.
func listWebhooks(ctx context.Context, hc *http.Client, siteURL string) error {
	sites, err := auth.Sites(ctx, hc)
	if err != nil {
		return err
	}
	if len(sites) == 0 {
		return errors.New("the grant covers no Jira site")
	}
	site := sites[0]
	if siteURL != "" {
		var ok bool
		if site, ok = auth.SiteByURL(sites, siteURL); !ok {
			return fmt.Errorf("the grant does not cover %s", siteURL)
		}
	}
	fmt.Printf("site %s (%s), cloudId %s\n", site.Name, site.URL, site.ID)

	c, err := webhooks.NewClient(site.BaseURL(), webhooks.WithHTTPClient(hc))
	if err != nil {
		return err
	}
	n := 0
	for wh, err := range c.List(nil).All(ctx) {
		if err != nil {
			return err
		}
		n++
		fmt.Printf("webhook %d: %v jql=%q expires %s\n", wh.ID, wh.Events, wh.JQLFilter, wh.ExpirationDate.Format(time.RFC3339))
	}
	fmt.Printf("%d webhooks\n", n)
	return nil
}

func openBrowser(u string) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.Command("xdg-open", u)
	}
	if err := cmd.Start(); err == nil {
		go cmd.Wait()
	}
}

func defaultDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "jirahooks-oauth3lo")
	}
	return ".jirahooks-tokens"
}
