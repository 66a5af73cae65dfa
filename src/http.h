/*-------------------------------------------------------------------------
 * http.h
 *	  The HTTP client: libcurl's multi interface behind a small API.
 *
 * http.c is the only file that includes curl.  A client belongs to one scan
 * (one memory context): everything curl allocated for its requests is
 * released when the context goes away, on error paths too.  Connections
 * outlive it: clients of one server and user borrow the backend's cached
 * connections, so later scans and rescans skip the TCP and TLS handshakes.  Every wait is a latch wait, so query cancel and
 * statement_timeout interrupt a request within a few milliseconds.
 *-------------------------------------------------------------------------
 */
#ifndef ALF_HTTP_H
#define ALF_HTTP_H

#include "postgres.h"

#include "nodes/pg_list.h"

struct AlfHttpResponse;

typedef struct AlfHttpConfig
{
	const char *vendor_name;	/* "Zendesk", for messages */
	Oid			serverid;		/* connections cached per backend for this
								 * server and user; InvalidOid: the client's
								 * own, closed with it */
	Oid			userid;
	int			timeout_ms;		/* one attempt of one request */
	int			max_retries;	/* after 429, 5xx and network errors */
	int			max_scan_retries;	/* retries of all requests together; 0: no cap */
	int			scan_timeout_ms;	/* from client creation to the last byte; 0: none */
	const char *ca_file;		/* NULL: system trust store */
	const char *proxy;			/* NULL: no proxy (environment ignored) */
	bool		allow_loopback_http;	/* base_url is http://loopback */
	int			max_in_flight;	/* concurrency */
	int			min_interval_ms;	/* least time between two attempt starts */
	Oid			budget_server;	/* request budget (rate_budget.h) of this
								 * server; InvalidOid: none */
	int			budget_per_minute;	/* its limit; 0: none */
	/* vendor hooks, both optional */
	bool		(*is_throttled) (const struct AlfHttpResponse *resp);
	char	   *(*error_message) (const struct AlfHttpResponse *resp);
	/* removes secrets from text bound for a message (optional) */
	char	   *(*scrub) (const void *arg, const char *text);
	const void *scrub_arg;
} AlfHttpConfig;

typedef struct AlfHttpRequest
{
	const char *method;			/* GET, POST, DELETE */
	const char *url;			/* absolute */
	const char *display;		/* redacted description for messages */
	List	   *headers;		/* of char * "Name: value" (may hold secrets) */
	const char *body;			/* NULL: none */
	size_t		body_len;
	const char *accept;			/* Accept header, default application/json */
	bool		no_retry;		/* do not retry (e.g. a logout) */
	bool		safe_to_repeat; /* a POST the vendor flow knows may be sent
								 * twice (GET, HEAD, PUT, DELETE always may) */
	int			timeout_ms;		/* 0: the client's */
} AlfHttpRequest;

typedef struct AlfHttpResponse
{
	long		status;
	char	   *body;			/* NUL-terminated; freed with the context */
	size_t		body_len;
	char	   *content_type;	/* or NULL */
	char	   *retry_after;	/* Retry-After header or NULL */
	List	   *set_cookies;	/* of char *: "NAME=value" parts of Set-Cookie */
	List	   *headers;		/* of char *: every "Name: value" line */
	int			attempts;		/* how many tries it took */
	const char *display;		/* request description */
	/* the client's scrubber, so that body snippets never show a secret */
	char	   *(*scrub) (const void *arg, const char *text);
	const void *scrub_arg;
} AlfHttpResponse;

typedef struct AlfHttpClient AlfHttpClient;
typedef struct AlfHttpPending AlfHttpPending;

typedef struct AlfHttpStats
{
	int64		requests;		/* attempts sent */
	int64		retries;
	int64		connections;	/* new TCP connections opened */
	int64		bytes;			/* decoded body bytes received */
	double		wait_ms;		/* time blocked waiting for the vendor */
} AlfHttpStats;

extern void alf_http_global_init(void);
extern void alf_http_define_gucs(void);
extern AlfHttpClient *alf_http_client_create(const AlfHttpConfig *config);

/*
 * Run one request to completion, retrying 429/5xx/network failures with
 * backoff (Retry-After honoured).  Returns the response for any other
 * status; raises 08006 when retries run out, 57014 on cancel.  The request
 * is copied, so the caller's strings may go away after the call.
 *
 * A request that is not idempotent (a POST, unless safe_to_repeat) is
 * repeated only when it provably never reached the vendor (no connection,
 * name or TLS failure, or a timeout before sending) or when the vendor
 * refused it (429, the vendor's own throttle answer, 503 with Retry-After);
 * after a timeout, a reset or a 5xx once sent it raises 08006 at once, as
 * the vendor may have acted on it (a session, a token, a report job).
 *
 * Before connecting, the URL's host is checked against the GUC
 * auditlog_fdw.allowed_hosts (42501 if it is not listed).
 */
extern AlfHttpResponse *alf_http_execute(AlfHttpClient *client, const AlfHttpRequest *req);

/* Start a request without waiting; finish it with alf_http_finish. */
extern AlfHttpPending *alf_http_start(AlfHttpClient *client, const AlfHttpRequest *req);
extern AlfHttpResponse *alf_http_finish(AlfHttpClient *client, AlfHttpPending *pending);

/*
 * Forget a started request (e.g. a prefetch the scan no longer needs).  A
 * GET still in flight is read to its end in the background (body dropped),
 * so that its kept-alive connection serves the next scan.
 */
extern void alf_http_abandon(AlfHttpClient *client, AlfHttpPending *pending);

/* Sleep interruptibly (backoff, polling); throws on cancel. */
extern void alf_http_sleep(long ms);

/*
 * Sleep like alf_http_sleep, but raise 08006 if the client's scan deadline
 * (scan_timeout_ms) would pass first: a job poll need not sleep past it.
 */
extern void alf_http_client_sleep(AlfHttpClient *client, long ms);

/*
 * Several requests at once (chains.c): let curl take what has arrived
 * (waits at most 1 ms); whether a started request has its answer (as of
 * the last poll or wait); an interruptible wait until one of n has.
 */
extern void alf_http_poll(AlfHttpClient *client);
extern bool alf_http_pending_done(const AlfHttpPending *pending);
extern void alf_http_wait_any(AlfHttpClient *client, AlfHttpPending *const *pendings, int n);

extern const AlfHttpStats *alf_http_stats(const AlfHttpClient *client);

/*
 * For an asynchronous Append.  alf_http_client_busy lets curl do what it can
 * without waiting, then says whether an attempt of this client is still in
 * flight (finishing it would wait).  alf_http_client_wait_fd returns one
 * descriptor that becomes readable when curl may make progress (a socket is
 * ready, curl's timer is due, or at the latest after a short tick, so that
 * a cancel is noticed); -1 where there is none (not Linux).
 */
extern bool alf_http_client_busy(AlfHttpClient *client);
extern int	alf_http_client_wait_fd(AlfHttpClient *client);
extern char *alf_url_encode(const char *s);
extern const char *alf_http_header(const AlfHttpResponse *resp, const char *name);
/*
 * At most min(maxlen, 200) bytes of the body for a DETAIL line: valid
 * UTF-8, control characters blanked, secrets scrubbed (before cutting, so
 * no part of a secret survives).
 */
extern char *alf_http_body_snippet(const AlfHttpResponse *resp, int maxlen);

#endif							/* ALF_HTTP_H */
