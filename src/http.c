/*-------------------------------------------------------------------------
 * http.c
 *	  libcurl multi interface driven by PostgreSQL latch waits.
 *
 * Why the multi interface: curl_easy_perform blocks in its own poll(), so a
 * query cancel would wait for the vendor.  Here curl tells us which sockets
 * it wants (CURLMOPT_SOCKETFUNCTION) and when it wants a timeout
 * (CURLMOPT_TIMERFUNCTION); we wait on those sockets and on MyLatch
 * together, and check for interrupts whenever the latch is set.
 *
 * Ownership: everything curl allocates (easy handles, header lists, the
 * malloc'd bodies being received) hangs off the AlfHttpClient, which a
 * memory-context reset callback tears down.  So an ERROR anywhere (cancel,
 * a bad page, a conversion failure) releases curl state without relying on
 * EndForeignScan.  Curl callbacks never call palloc or ereport: they record
 * what went wrong and return an abort code; we raise after curl returns.
 * The multi handle itself (and with it the kept-alive connections) is the
 * exception: it belongs to the backend, shared per server and user (see
 * AlfMulti), and outlives the clients that borrow it.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>
#include <poll.h>
#include <unistd.h>

#include <curl/curl.h>

#include "miscadmin.h"
#include "mb/pg_wchar.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "auditlog_fdw.h"
#include "compat.h"
#include "guc.h"
#include "http.h"
#include "rate_budget.h"

#ifdef ALF_HAVE_ASYNC_APPEND
#include <sys/epoll.h>
#include <sys/timerfd.h>
#endif

#define ALF_MAX_SOCKETS		64
#define ALF_MAX_TRANSFERS	16
#define ALF_USER_AGENT		"auditlog_fdw/0.1"
#define ALF_MAX_RETRY_AFTER_MS	(15 * 60 * 1000L)
#define ALF_BACKOFF_BASE_MS	500L
#define ALF_BACKOFF_MAX_MS	(30 * 1000L)
#define ALF_MIN_RETRY_MS	250L
#define ALF_SNIPPET_MAX		200		/* bytes of a body shown in a message */
#define ALF_SNIPPET_SLACK	4096	/* scrubbed past the cut: a secret there */
/*
 * Longest an async Append sleeps on a scan's descriptor: its wait set has no
 * latch, so this bounds how late a cancel or statement_timeout is seen.
 */
#define ALF_ASYNC_TICK_MS	200L

/* One attempt of one request, as curl sees it.  malloc'd: curl's side. */
typedef struct AlfTransfer
{
	struct AlfHttpClient *client;	/* whose attempt: completions go there */
	CURL	   *easy;
	struct curl_slist *headers;
	char	   *body;
	size_t		body_len;
	size_t		body_cap;
	char	   *head;			/* raw response header lines */
	size_t		head_len;
	size_t		head_cap;
	bool		too_large;
	bool		discard;		/* abandoned: read to the end, keep nothing */
	bool		out_of_memory;
	bool		done;
	CURLcode	result;
	curl_off_t	pretransfer_us; /* 0: the request was never sent */
	char		errbuf[CURL_ERROR_SIZE];
} AlfTransfer;

struct AlfHttpPending
{
	MemoryContext cxt;			/* holds this struct and the copy; dropped when done */
	AlfHttpRequest req;			/* deep copy of the caller's request */
	AlfTransfer *xfer;			/* current attempt, or NULL */
	int			attempts;
};

typedef struct AlfSocket
{
	curl_socket_t fd;
	int			what;			/* CURL_POLL_IN / OUT / INOUT */
} AlfSocket;

/*
 * A curl multi handle and the connections it keeps alive.  Shared, per
 * backend, by every client of one server and user with the same ca_file and
 * proxy (a list in malloc'd memory that outlives scans), so scans, rescans
 * and the inner side of a nested loop reuse one connection (and one TLS
 * handshake) per server.  Clients of other configurations get a private
 * one.  Several clients may drive it at once (a nested loop, an async
 * Append): each attempt's completion reaches its own transfer through
 * CURLINFO_PRIVATE, never another client.
 */
typedef struct AlfMulti
{
	struct AlfMulti *next;		/* in alf_multis (shared ones only) */
	bool		shared;
	bool		invalid;		/* server or user mapping changed: no new users */
	Oid			serverid;
	Oid			userid;
	char	   *ca_file;		/* malloc'd, or NULL */
	char	   *proxy;			/* malloc'd, or NULL */
	bool		loopback_http;
	CURLM	   *multi;
	int			users;			/* clients borrowing it now */
	long		host_connections;	/* sum of their max_in_flight */
	AlfSocket	sockets[ALF_MAX_SOCKETS];
	int			nsockets;
	bool		socket_overflow;
	long		timer_ms;		/* -1: curl wants no timeout */
	TimestampTz timer_set_at;	/* when curl asked for timer_ms */
	/* abandoned GETs read to their end, so their connection stays usable */
	struct AlfTransfer *orphans[ALF_MAX_TRANSFERS];
} AlfMulti;

struct AlfHttpClient
{
	AlfHttpConfig cfg;
	MemoryContext cxt;
	AlfMulti   *m;				/* borrowed (or private) multi handle */
	AlfTransfer *active[ALF_MAX_TRANSFERS];
	TimestampTz last_start;		/* of the latest attempt, for pacing */
	TimestampTz deadline;		/* scan_timeout_ms after creation; 0: none */
	AlfHttpStats stats;
	int			wait_fd;		/* epoll fd for an async Append, or -1 */
	int			timer_fd;		/* timerfd inside it, or -1 */
	MemoryContextCallback cleanup;
};

/* the shared multi handles of this backend */
static AlfMulti *alf_multis = NULL;
static bool alf_multi_callbacks_registered = false;

static bool curl_ready = false;

/* auditlog_fdw.allowed_hosts: "" (any host) or a list of host patterns */
static char *alf_allowed_hosts = NULL;

void
alf_http_global_init(void)
{
	if (!curl_ready)
	{
		if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
					 errmsg("could not initialize the HTTP library")));
		curl_ready = true;
	}
}

/* ---- the host allow-list ---- */

/*
 * Each entry of a host list: a host name or address, or "*.suffix".
 * Calls fn(entry, len, arg) until it returns true; returns whether one did.
 */
static bool
alf_hosts_foreach(const char *list, bool (*fn) (const char *, size_t, void *), void *arg)
{
	const char *p = list;

	while (*p)
	{
		const char *end;
		size_t		len;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		end = p;
		while (*end && *end != ',')
			end++;
		len = end - p;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len > 0 && fn(p, len, arg))
			return true;
		p = end;
	}
	return false;
}

/* A malformed entry (sets *(const char **) arg to a copy of it). */
static bool
alf_host_entry_bad(const char *entry, size_t len, void *arg)
{
	size_t		i;
	size_t		start = 0;

	if (len >= 2 && entry[0] == '*' && entry[1] == '.')
		start = 2;
	for (i = start; i < len; i++)
	{
		char		c = entry[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_'))
			break;
	}
	if (i < len || start == len)
	{
		*(char **) arg = pnstrdup(entry, len);
		return true;
	}
	return false;
}

static bool
alf_check_allowed_hosts(char **newval, void **extra, GucSource source)
{
	char	   *bad = NULL;

	if (*newval && alf_hosts_foreach(*newval, alf_host_entry_bad, &bad))
	{
		GUC_check_errdetail("\"%s\" is not a host name, an address or \"*.\" followed by a domain.",
							bad);
		return false;
	}
	return true;
}

/* Does the entry match the host (lower case, no brackets)? */
static bool
alf_host_entry_matches(const char *entry, size_t len, void *arg)
{
	const char *host = (const char *) arg;
	size_t		hlen = strlen(host);

	if (len >= 2 && entry[0] == '[' && entry[len - 1] == ']')
	{
		entry++;
		len -= 2;
	}
	if (len > 1 && entry[len - 1] == '.')
		len--;
	if (len >= 2 && entry[0] == '*' && entry[1] == '.')
		/* "*.example.com": any name below example.com, not example.com */
		return hlen > len - 1 && pg_strncasecmp(host + hlen - (len - 1), entry + 1, len - 1) == 0;
	return hlen == len && pg_strncasecmp(host, entry, len) == 0;
}

/* The host of an absolute URL, lower case, without IPv6 brackets; or NULL. */
static char *
alf_url_host(const char *url)
{
	CURLU	   *u = curl_url();
	char	   *host = NULL;
	char	   *result = NULL;

	if (u == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host != NULL)
	{
		size_t		len = strlen(host);
		const char *h = host;

		if (len >= 2 && h[0] == '[' && h[len - 1] == ']')
		{
			h++;
			len -= 2;
		}
		if (len > 1 && h[len - 1] == '.')
			len--;
		result = pnstrdup(h, len);
	}
	curl_free(host);
	curl_url_cleanup(u);
	if (result)
	{
		char	   *c;

		for (c = result; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c += 'a' - 'A';
	}
	return result;
}

/* Refuse a URL whose host auditlog_fdw.allowed_hosts does not list. */
static void
alf_check_host_allowed(const AlfHttpRequest *req)
{
	char	   *host;

	if (alf_allowed_hosts == NULL || alf_allowed_hosts[0] == '\0')
		return;
	host = alf_url_host(req->url);
	if (host == NULL || !alf_hosts_foreach(alf_allowed_hosts, alf_host_entry_matches, host))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("host \"%s\" is not in auditlog_fdw.allowed_hosts",
						host ? host : "(none)"),
				 errdetail_internal("%s", req->display),
				 errhint("A superuser can add the host to auditlog_fdw.allowed_hosts.")));
}

void
alf_http_define_gucs(void)
{
	DefineCustomStringVariable("auditlog_fdw.allowed_hosts",
							   "Hosts that auditlog_fdw may send requests to.",
							   "Comma-separated host names or addresses; \"*.example.com\" "
							   "allows every name below example.com.  Empty allows any host.",
							   &alf_allowed_hosts,
							   "",
							   PGC_SUSET,
							   GUC_LIST_INPUT,
							   alf_check_allowed_hosts, NULL, NULL);
}

/* ---- curl callbacks: no palloc, no ereport ---- */

static int
alf_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	AlfMulti   *m = (AlfMulti *) userp;
	int			i;

	for (i = 0; i < m->nsockets; i++)
		if (m->sockets[i].fd == fd)
			break;
	if (what == CURL_POLL_REMOVE)
	{
		if (i < m->nsockets)
			m->sockets[i] = m->sockets[--m->nsockets];
		return 0;
	}
	if (i == m->nsockets)
	{
		if (m->nsockets >= ALF_MAX_SOCKETS)
		{
			m->socket_overflow = true;
			return -1;
		}
		m->nsockets++;
	}
	m->sockets[i].fd = fd;
	m->sockets[i].what = what;
	return 0;
}

static int
alf_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	AlfMulti   *m = (AlfMulti *) userp;

	m->timer_ms = timeout_ms;
	m->timer_set_at = GetCurrentTimestamp();
	return 0;
}

static bool
alf_buffer_append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
	if (*len + n + 1 > *cap)
	{
		size_t		newcap = Max(*cap * 2, (size_t) 8192);
		char	   *grown;

		while (newcap < *len + n + 1)
			newcap *= 2;
		grown = realloc(*buf, newcap);
		if (grown == NULL)
			return false;
		*buf = grown;
		*cap = newcap;
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
	return true;
}

static size_t
alf_write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	AlfTransfer *xfer = (AlfTransfer *) userp;
	size_t		n = size * nmemb;

	if (xfer->discard)
		return n;
	if (xfer->body_len + n > ALF_MAX_BODY_BYTES)
	{
		xfer->too_large = true;
		return 0;
	}
	if (!alf_buffer_append(&xfer->body, &xfer->body_len, &xfer->body_cap, data, n))
	{
		xfer->out_of_memory = true;
		return 0;
	}
	return n;
}

static size_t
alf_header_cb(char *data, size_t size, size_t nitems, void *userp)
{
	AlfTransfer *xfer = (AlfTransfer *) userp;
	size_t		n = size * nitems;

	if (xfer->discard)
		return n;
	/* a new status line (after 100 Continue) starts a new header block */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0)
		xfer->head_len = 0;
	if (xfer->head_len + n > 1024 * 1024)
		return n;				/* absurd headers: keep the first MB */
	if (!alf_buffer_append(&xfer->head, &xfer->head_len, &xfer->head_cap, data, n))
	{
		xfer->out_of_memory = true;
		return 0;
	}
	return n;
}

/* ---- lifetime ---- */

/* Take an attempt out of its multi handle and free everything of it. */
static void
alf_transfer_destroy(CURLM *multi, AlfTransfer *xfer)
{
	if (xfer->easy)
	{
		/*
		 * Removing an unfinished transfer makes curl close its connection
		 * (an HTTP/1.1 response cut short is never reused), so a scan ended
		 * by an error or a cancel leaves no half-read connection behind.
		 */
		curl_multi_remove_handle(multi, xfer->easy);
		curl_easy_cleanup(xfer->easy);
	}
	curl_slist_free_all(xfer->headers);
	free(xfer->body);
	free(xfer->head);
	free(xfer);
}

static void
alf_transfer_free(AlfHttpClient *client, AlfTransfer *xfer)
{
	int			i;

	for (i = 0; i < ALF_MAX_TRANSFERS; i++)
		if (client->active[i] == xfer)
			client->active[i] = NULL;
	alf_transfer_destroy(client->m->multi, xfer);
}

/* Free an abandoned transfer (finished, or its multi handle is going). */
static void
alf_orphan_free(AlfMulti *m, int i)
{
	AlfTransfer *xfer = m->orphans[i];

	m->orphans[i] = NULL;
	alf_transfer_destroy(m->multi, xfer);
}

/*
 * A GET the scan no longer needs (a prefetch past a LIMIT, the rest of a
 * semi-join's inner scan): removing it mid-response would close its
 * connection, and the next scan of the server would pay a new TCP and TLS
 * handshake.  Instead it is read to its end, discarding the body, and
 * freed when it completes (whoever drives the handle next).  A request
 * with a body is not kept: curl reads that body from the caller's memory.
 */
static bool
alf_transfer_orphan(AlfHttpClient *client, AlfTransfer *xfer, bool has_body)
{
	AlfMulti   *m = client->m;
	int			i;
	int			j;

	if (xfer->done || has_body || !m->shared)
		return false;
	for (i = 0; i < ALF_MAX_TRANSFERS; i++)
		if (m->orphans[i] == NULL)
			break;
	if (i == ALF_MAX_TRANSFERS)
		return false;
	m->orphans[i] = xfer;
	for (j = 0; j < ALF_MAX_TRANSFERS; j++)
		if (client->active[j] == xfer)
			client->active[j] = NULL;
	xfer->client = NULL;
	xfer->discard = true;
	free(xfer->body);
	xfer->body = NULL;
	xfer->body_len = xfer->body_cap = 0;
	return true;
}

static bool
alf_str_equal(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* Close a multi handle's connections and free it (no user left). */
static void
alf_multi_destroy(AlfMulti *m)
{
	AlfMulti  **link;
	int			i;

	for (link = &alf_multis; *link; link = &(*link)->next)
		if (*link == m)
		{
			*link = m->next;
			break;
		}
	for (i = 0; i < ALF_MAX_TRANSFERS; i++)
		if (m->orphans[i])
			alf_orphan_free(m, i);
	if (m->multi)
		curl_multi_cleanup(m->multi);
	free(m->ca_file);
	free(m->proxy);
	free(m);
}

/*
 * ALTER SERVER / USER MAPPING (or DROP): connections made under the old
 * settings are not reused.  Any change drops every cached handle: such DDL
 * is rare and a new connection is cheap next to a wrong one.  Handles in
 * use go when their last client does.  Called during invalidation
 * processing: no catalog access, no palloc, no ereport.
 */
static void
alf_multi_inval_cb(Datum arg, int cacheid, uint32 hashvalue)
{
	AlfMulti   *m = alf_multis;

	while (m)
	{
		AlfMulti   *next = m->next;

		m->invalid = true;
		if (m->users == 0)
			alf_multi_destroy(m);
		m = next;
	}
}

/* Backend exit: close the kept connections politely (TLS close_notify). */
static void
alf_multi_exit_cb(int code, Datum arg)
{
	while (alf_multis)
		alf_multi_destroy(alf_multis);
}

static AlfMulti *
alf_multi_new(const AlfHttpConfig *cfg, bool shared)
{
	AlfMulti   *m = calloc(1, sizeof(AlfMulti));

	if (m == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	m->shared = shared;
	m->serverid = cfg->serverid;
	m->userid = cfg->userid;
	m->loopback_http = cfg->allow_loopback_http;
	m->timer_ms = -1;
	m->ca_file = cfg->ca_file ? strdup(cfg->ca_file) : NULL;
	m->proxy = cfg->proxy ? strdup(cfg->proxy) : NULL;
	m->multi = curl_multi_init();
	if (m->multi == NULL || (cfg->ca_file && !m->ca_file) || (cfg->proxy && !m->proxy))
	{
		alf_multi_destroy(m);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Could not create an HTTP client.")));
	}
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, alf_socket_cb);
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, alf_timer_cb);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
	/* idle connections kept for the next scan */
	curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, (long) ALF_MAX_TRANSFERS);
	if (shared)
	{
		m->next = alf_multis;
		alf_multis = m;
	}
	return m;
}

/*
 * The multi handle a new client borrows: the backend's cached one for its
 * server, user and connection settings, else a new one (cached when the
 * client names a server).
 */
static AlfMulti *
alf_multi_acquire(const AlfHttpConfig *cfg)
{
	AlfMulti   *m;

	if (!OidIsValid(cfg->serverid))
		return alf_multi_new(cfg, false);
	if (!alf_multi_callbacks_registered)
	{
		CacheRegisterSyscacheCallback(FOREIGNSERVEROID, alf_multi_inval_cb, (Datum) 0);
		CacheRegisterSyscacheCallback(USERMAPPINGOID, alf_multi_inval_cb, (Datum) 0);
		on_proc_exit(alf_multi_exit_cb, (Datum) 0);
		alf_multi_callbacks_registered = true;
	}
	for (m = alf_multis; m; m = m->next)
		if (!m->invalid && m->serverid == cfg->serverid && m->userid == cfg->userid &&
			m->loopback_http == cfg->allow_loopback_http &&
			alf_str_equal(m->ca_file, cfg->ca_file) && alf_str_equal(m->proxy, cfg->proxy))
			return m;
	return alf_multi_new(cfg, true);
}

/* A client starts or stops borrowing m: curl's per-host cap follows. */
static void
alf_multi_attach(AlfMulti *m, long max_in_flight)
{
	m->users++;
	m->host_connections += max_in_flight;
	curl_multi_setopt(m->multi, CURLMOPT_MAX_HOST_CONNECTIONS, m->host_connections);
}

static void
alf_multi_detach(AlfMulti *m, long max_in_flight)
{
	m->users--;
	m->host_connections -= max_in_flight;
	if (!m->shared || (m->invalid && m->users == 0))
		alf_multi_destroy(m);
	else
		curl_multi_setopt(m->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
						  Max(m->host_connections, 1L));
}

static void
alf_http_client_cleanup(void *arg)
{
	AlfHttpClient *client = (AlfHttpClient *) arg;
	int			i;

	for (i = 0; i < ALF_MAX_TRANSFERS; i++)
		if (client->active[i])
			alf_transfer_free(client, client->active[i]);
	if (client->wait_fd >= 0)
		close(client->wait_fd);
	if (client->timer_fd >= 0)
		close(client->timer_fd);
	client->wait_fd = client->timer_fd = -1;
	if (client->m)
		alf_multi_detach(client->m, client->cfg.max_in_flight);
	client->m = NULL;
}

AlfHttpClient *
alf_http_client_create(const AlfHttpConfig *config)
{
	AlfHttpClient *client;

	alf_http_global_init();
	client = palloc0(sizeof(AlfHttpClient));
	client->cfg = *config;
	client->cfg.vendor_name = pstrdup(config->vendor_name);
	client->cfg.ca_file = config->ca_file ? pstrdup(config->ca_file) : NULL;
	client->cfg.proxy = config->proxy ? pstrdup(config->proxy) : NULL;
	if (client->cfg.max_in_flight < 1)
		client->cfg.max_in_flight = 1;
	if (client->cfg.max_in_flight > ALF_MAX_TRANSFERS)
		client->cfg.max_in_flight = ALF_MAX_TRANSFERS;
	client->cxt = CurrentMemoryContext;
	client->wait_fd = client->timer_fd = -1;
	if (client->cfg.scan_timeout_ms > 0)
		client->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   client->cfg.scan_timeout_ms);

	/* acquire, then register the release at once: nothing may throw between */
	client->m = alf_multi_acquire(&client->cfg);
	alf_multi_attach(client->m, client->cfg.max_in_flight);
	client->cleanup.func = alf_http_client_cleanup;
	client->cleanup.arg = client;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &client->cleanup);
	return client;
}

const AlfHttpStats *
alf_http_stats(const AlfHttpClient *client)
{
	return &client->stats;
}

/* ---- starting an attempt ---- */

static const char *
alf_default_display(const AlfHttpRequest *req)
{
	const char *p = strstr(req->url, "://");

	p = p ? strchr(p + 3, '/') : NULL;
	return psprintf("%s %s", req->method, p ? p : "/");
}

static AlfHttpRequest
alf_copy_request(const AlfHttpRequest *req)
{
	AlfHttpRequest copy = *req;
	ListCell   *lc;

	copy.method = pstrdup(req->method);
	copy.url = pstrdup(req->url);
	copy.display = pstrdup(req->display ? req->display : alf_default_display(req));
	copy.headers = NIL;
	foreach(lc, req->headers)
		copy.headers = lappend(copy.headers, pstrdup((char *) lfirst(lc)));
	if (req->body)
	{
		char	   *b = palloc(req->body_len + 1);

		memcpy(b, req->body, req->body_len);
		b[req->body_len] = '\0';
		copy.body = b;
	}
	copy.accept = pstrdup(req->accept ? req->accept : "application/json");
	return copy;
}

static void alf_drive(AlfHttpClient *client, long max_wait_ms);
static void alf_client_wait_ms(AlfHttpClient *client, long ms);
static bool alf_request_idempotent(const AlfHttpRequest *req);

/* Milliseconds until curl's timer fires (0: due), or -1 for none. */
static long
alf_timer_left_ms(const AlfMulti *m)
{
	long		elapsed;

	if (m->timer_ms < 0)
		return -1;
	elapsed = (long) ((GetCurrentTimestamp() - m->timer_set_at) / 1000);
	return Max(m->timer_ms - elapsed, 0L);
}

/* Milliseconds left before the scan deadline; LONG_MAX without one. */
static long
alf_deadline_left_ms(const AlfHttpClient *client)
{
	if (client->deadline == 0)
		return LONG_MAX;
	return (long) Max((client->deadline - GetCurrentTimestamp()) / 1000, 0);
}

/* The scan deadline has passed (or would, after wait_ms more): 08006. */
static void
alf_deadline_exceeded(const AlfHttpClient *client, const char *display, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_CONNECTION_FAILURE),
			 errmsg("scan of %s exceeded its deadline of %d ms",
					client->cfg.vendor_name, client->cfg.scan_timeout_ms),
			 why ?
			 errdetail_internal("%s: %s", display, why) :
			 errdetail_internal("%s", display),
			 errhint("Raise the scan_timeout_ms option, or narrow the query's time range.")));
}

/* While the budget holds a request back, the client's other transfers go on. */
static void
alf_budget_wait(void *arg, long ms)
{
	alf_drive((AlfHttpClient *) arg, ms);
}

static void
alf_start_attempt(AlfHttpClient *client, AlfHttpPending *pending)
{
	AlfHttpRequest *req = &pending->req;
	AlfTransfer *xfer;
	CURL	   *easy;
	ListCell   *lc;
	int			slot;
	char	   *accept;
	long		timeout_ms;

	for (slot = 0; slot < ALF_MAX_TRANSFERS; slot++)
		if (client->active[slot] == NULL)
			break;
	if (slot == ALF_MAX_TRANSFERS)
		elog(ERROR, "too many HTTP requests in flight");

	/* pacing for vendors whose rate limit is low and gives no Retry-After */
	if (client->cfg.min_interval_ms > 0 && client->last_start != 0)
	{
		long		wait_ms = (long) ((client->last_start - GetCurrentTimestamp()) / 1000) +
			client->cfg.min_interval_ms;

		if (wait_ms > 0)
			alf_client_wait_ms(client, Min(wait_ms, (long) client->cfg.min_interval_ms));
	}
	/* the server's request budget, shared with other scans (rate_budget.c) */
	if (!alf_budget_acquire(client->cfg.budget_server, client->cfg.budget_per_minute,
							alf_deadline_left_ms(client), alf_budget_wait, client))
		alf_deadline_exceeded(client, req->display, "waiting for the request budget");
	client->last_start = GetCurrentTimestamp();
	if (alf_deadline_left_ms(client) <= 0)
		alf_deadline_exceeded(client, req->display, NULL);

	xfer = calloc(1, sizeof(AlfTransfer));
	if (xfer == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	client->active[slot] = xfer;	/* from here on the cleanup callback owns it */
	xfer->client = client;
	pending->xfer = xfer;
	pending->attempts++;

	xfer->easy = easy = curl_easy_init();
	if (easy == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));

	accept = psprintf("Accept: %s", req->accept);
	xfer->headers = curl_slist_append(NULL, accept);
	pfree(accept);
	foreach(lc, req->headers)
	{
		struct curl_slist *grown = curl_slist_append(xfer->headers, (char *) lfirst(lc));

		if (grown == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		xfer->headers = grown;
	}
	/* no "Expect: 100-continue" round trip for small bodies */
	if (req->body)
		xfer->headers = curl_slist_append(xfer->headers, "Expect:");
	if (xfer->headers == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));

	curl_easy_setopt(easy, CURLOPT_URL, req->url);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, xfer);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, xfer->errbuf);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, alf_write_cb);
	/* a page in a few reads, not 16 kB ones (bench/cpu.sh) */
	curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, xfer);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, alf_header_cb);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, xfer);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, xfer->headers);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, ALF_USER_AGENT);
	curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");	/* all curl decodes */
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	/*
	 * A request that must not reach the vendor twice gets a new connection:
	 * on a kept-alive one the vendor had closed, curl would silently send
	 * it again.  (GETs may ride any kept connection.)
	 */
	if (!alf_request_idempotent(req))
		curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
	timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : client->cfg.timeout_ms;
	/* no attempt outlives the scan deadline (checked before we got here) */
	timeout_ms = Max(Min(timeout_ms, alf_deadline_left_ms(client)), 1L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, Min(timeout_ms, 10000L));
#if LIBCURL_VERSION_NUM >= 0x075700
	/*
	 * Removing a handle whose name lookup is still running would otherwise
	 * join the resolver thread, i.e. wait for getaddrinfo (which knows no
	 * timeout) deaf to cancel; with this the thread is left to finish alone.
	 */
	curl_easy_setopt(easy, CURLOPT_QUICK_EXIT, 1L);
#endif
	/* TLS verification is never optional */
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (client->cfg.ca_file)
		curl_easy_setopt(easy, CURLOPT_CAINFO, client->cfg.ca_file);
	/* an empty proxy string makes curl ignore http_proxy & co. */
	curl_easy_setopt(easy, CURLOPT_PROXY, client->cfg.proxy ? client->cfg.proxy : "");
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR,
					 client->cfg.allow_loopback_http ? "http,https" : "https");
#else
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS,
					 client->cfg.allow_loopback_http ? (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS) :
					 (long) CURLPROTO_HTTPS);
#endif

	if (strcmp(req->method, "GET") == 0)
		curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
	else if (strcmp(req->method, "POST") == 0)
	{
		curl_easy_setopt(easy, CURLOPT_POST, 1L);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
						 (curl_off_t) (req->body ? req->body_len : 0));
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body ? req->body : "");
	}
	else
	{
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, req->method);
		if (req->body)
		{
			curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req->body_len);
			curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body);
		}
	}

	if (curl_multi_add_handle(client->m->multi, easy) != CURLM_OK)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	client->stats.requests++;

	/* let curl connect and send right away, so the vendor works meanwhile */
	alf_drive(client, 0);
}

/* ---- waiting ---- */

static void
alf_collect_done(AlfMulti *m)
{
	CURLMsg    *msg;
	int			queued;

	while ((msg = curl_multi_info_read(m->multi, &queued)) != NULL)
	{
		AlfTransfer *xfer = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		/* the attempt's own transfer, whichever client drove the multi */
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &xfer);
		if (xfer && xfer->client == NULL)
		{
			/* an abandoned GET has finished: its connection is free again */
			int			i;

			for (i = 0; i < ALF_MAX_TRANSFERS; i++)
				if (m->orphans[i] == xfer)
					alf_orphan_free(m, i);
		}
		else if (xfer)
		{
			long		conns = 0;

			xfer->done = true;
			xfer->result = msg->data.result;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRETRANSFER_TIME_T,
							  &xfer->pretransfer_us);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_NUM_CONNECTS, &conns);
			xfer->client->stats.connections += conns;
		}
	}
}

/*
 * Wait up to max_wait_ms (0: just poll) for curl's sockets or timer, or for
 * the latch.  The wait event set holds an epoll descriptor that only
 * FreeWaitEventSet releases, so it is freed on every path (PG_FINALLY: an
 * error adding a socket or waiting would otherwise leak it), and
 * interrupts are checked only after it is gone.
 */
static void
alf_drive(AlfHttpClient *client, long max_wait_ms)
{
	AlfMulti   *m = client->m;
	WaitEventSet *set;
	WaitEvent	occurred[ALF_MAX_SOCKETS + 2];
	struct
	{
		curl_socket_t fd;
		int			flags;
	}			ready[ALF_MAX_SOCKETS + 2];
	int			nready = 0;
	int			nevents;
	int			running;
	bool		latch_set = false;
	long		timeout = alf_timer_left_ms(m);
	int			i;

	if (timeout < 0 || timeout > max_wait_ms)
		timeout = max_wait_ms;

	if (timeout > 0)
	{
		set = alf_create_wait_event_set(m->nsockets + 2);
		PG_TRY();
		{
			AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
			AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
			for (i = 0; i < m->nsockets; i++)
			{
				uint32		events = 0;

				if (m->sockets[i].what & CURL_POLL_IN)
					events |= WL_SOCKET_READABLE;
				if (m->sockets[i].what & CURL_POLL_OUT)
					events |= WL_SOCKET_WRITEABLE;
				if (events)
					AddWaitEventToSet(set, events, m->sockets[i].fd, NULL, NULL);
			}
			nevents = WaitEventSetWait(set, timeout, occurred, lengthof(occurred),
									   PG_WAIT_EXTENSION);
		}
		PG_FINALLY();
		{
			FreeWaitEventSet(set);
		}
		PG_END_TRY();

		for (i = 0; i < nevents; i++)
		{
			if (occurred[i].events & WL_LATCH_SET)
				latch_set = true;
			else if (occurred[i].events & (WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE))
			{
				ready[nready].fd = occurred[i].fd;
				ready[nready].flags =
					((occurred[i].events & WL_SOCKET_READABLE) ? CURL_CSELECT_IN : 0) |
					((occurred[i].events & WL_SOCKET_WRITEABLE) ? CURL_CSELECT_OUT : 0);
				nready++;
			}
		}
		if (latch_set)
		{
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
	}

	for (i = 0; i < nready; i++)
		curl_multi_socket_action(m->multi, ready[i].fd, ready[i].flags, &running);
	if (nready == 0)
		curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	alf_collect_done(m);

	if (m->socket_overflow)
		elog(ERROR, "too many sockets in use by one HTTP client");
}

static void
alf_wait_for(AlfHttpClient *client, AlfTransfer *xfer)
{
	TimestampTz start;

	if (xfer->done)
		return;
	start = GetCurrentTimestamp();
	while (!xfer->done)
	{
		CHECK_FOR_INTERRUPTS();
		/* with no socket to watch yet (name lookup), poll curl often */
		alf_drive(client, client->m->nsockets > 0 ? 1000 : 20);
	}
	client->stats.wait_ms += (double) (GetCurrentTimestamp() - start) / 1000.0;
}

/* alf_http_sleep, counted as time spent waiting on the vendor */
static void
alf_client_wait_ms(AlfHttpClient *client, long ms)
{
	TimestampTz start = GetCurrentTimestamp();

	alf_http_sleep(ms);
	client->stats.wait_ms += (double) (GetCurrentTimestamp() - start) / 1000.0;
}

/* ---- without waiting: for an asynchronous Append ---- */

/* Let curl do whatever it can right now: ready sockets, due timers. */
static void
alf_drive_nowait(AlfMulti *m)
{
	struct pollfd fds[ALF_MAX_SOCKETS];
	int			n = m->nsockets;
	int			running;
	int			i;

	for (i = 0; i < n; i++)
	{
		fds[i].fd = m->sockets[i].fd;
		fds[i].events = ((m->sockets[i].what & CURL_POLL_IN) ? POLLIN : 0) |
			((m->sockets[i].what & CURL_POLL_OUT) ? POLLOUT : 0);
		fds[i].revents = 0;
	}
	if (n > 0 && poll(fds, n, 0) > 0)
	{
		for (i = 0; i < n; i++)
		{
			int			flags = 0;

			if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
				flags |= CURL_CSELECT_IN;
			if (fds[i].revents & (POLLOUT | POLLERR))
				flags |= CURL_CSELECT_OUT;
			/* the list may change under curl: act on the polled copy */
			if (flags)
				curl_multi_socket_action(m->multi, fds[i].fd, flags, &running);
		}
	}
	if (alf_timer_left_ms(m) == 0)
		curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	alf_collect_done(m);
	if (m->socket_overflow)
		elog(ERROR, "too many sockets in use by one HTTP client");
}

bool
alf_http_client_busy(AlfHttpClient *client)
{
	int			i;

	alf_drive_nowait(client->m);
	for (i = 0; i < ALF_MAX_TRANSFERS; i++)
		if (client->active[i] && !client->active[i]->done)
			return true;
	return false;
}

int
alf_http_client_wait_fd(AlfHttpClient *client)
{
#ifdef ALF_HAVE_ASYNC_APPEND
	AlfMulti   *m = client->m;
	struct epoll_event ev;
	struct itimerspec its;
	long		ms;
	int			i;
	bool		busy = alf_http_client_busy(client);	/* may change the sockets */

	if (client->timer_fd < 0)
		client->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (client->timer_fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create a timer descriptor: %m")));
	/* a fresh set each time: curl's sockets come and go between waits */
	if (client->wait_fd >= 0)
		close(client->wait_fd);
	client->wait_fd = epoll_create1(EPOLL_CLOEXEC);
	if (client->wait_fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create an epoll descriptor: %m")));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = client->timer_fd;
	if (epoll_ctl(client->wait_fd, EPOLL_CTL_ADD, client->timer_fd, &ev) < 0)
		elog(ERROR, "epoll_ctl() failed: %m");
	for (i = 0; i < m->nsockets; i++)
	{
		ev.events = ((m->sockets[i].what & CURL_POLL_IN) ? EPOLLIN : 0) |
			((m->sockets[i].what & CURL_POLL_OUT) ? EPOLLOUT : 0);
		ev.data.fd = m->sockets[i].fd;
		if (ev.events && epoll_ctl(client->wait_fd, EPOLL_CTL_ADD, m->sockets[i].fd, &ev) < 0)
			elog(ERROR, "epoll_ctl() failed: %m");
	}
	/*
	 * curl's timer, or the tick that lets the executor see a cancel; at once
	 * when nothing of this client is in flight any more (another scan
	 * sharing the multi handle may have finished it).
	 */
	ms = alf_timer_left_ms(m);
	if (ms < 0 || ms > ALF_ASYNC_TICK_MS)
		ms = ALF_ASYNC_TICK_MS;
	if (!busy)
		ms = 0;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (ms % 1000) * 1000000L;
	if (ms == 0)
		its.it_value.tv_nsec = 1;	/* all zero would disarm it */
	if (timerfd_settime(client->timer_fd, 0, &its, NULL) < 0)
		elog(ERROR, "timerfd_settime() failed: %m");
	return client->wait_fd;
#else
	return -1;
#endif
}

void
alf_http_sleep(long ms)
{
	TimestampTz end = GetCurrentTimestamp() + ms * 1000;

	for (;;)
	{
		long		left;

		CHECK_FOR_INTERRUPTS();
		left = (long) ((end - GetCurrentTimestamp()) / 1000);
		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

void
alf_http_client_sleep(AlfHttpClient *client, long ms)
{
	if (ms >= alf_deadline_left_ms(client))
		alf_deadline_exceeded(client, "waiting for the vendor", NULL);
	alf_http_sleep(ms);
}

/* ---- responses ---- */

static void
alf_free_malloced(void *arg)
{
	free(arg);
}

/* Turn a finished attempt into a palloc'd response; takes over the body. */
static AlfHttpResponse *
alf_make_response(AlfHttpClient *client, AlfHttpPending *pending)
{
	AlfTransfer *xfer = pending->xfer;
	AlfHttpResponse *resp = palloc0(sizeof(AlfHttpResponse));
	MemoryContextCallback *cb;
	char	   *line;
	char	   *save;

	curl_easy_getinfo(xfer->easy, CURLINFO_RESPONSE_CODE, &resp->status);
	if (xfer->body == NULL)
		alf_buffer_append(&xfer->body, &xfer->body_len, &xfer->body_cap, "", 0);
	if (xfer->body == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));

	/* the body stays malloc'd (no copy of a big download); free it with us */
	cb = palloc(sizeof(MemoryContextCallback));
	cb->func = alf_free_malloced;
	cb->arg = xfer->body;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
	resp->body = xfer->body;
	resp->body_len = xfer->body_len;
	xfer->body = NULL;
	xfer->body_len = xfer->body_cap = 0;

	resp->attempts = pending->attempts;
	resp->display = pstrdup(pending->req.display);
	resp->scrub = client->cfg.scrub;
	resp->scrub_arg = client->cfg.scrub_arg;

	if (xfer->head)
	{
		char	   *copy = pstrdup(xfer->head);

		for (line = strtok_r(copy, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save))
		{
			char	   *colon = strchr(line, ':');
			char	   *value;

			if (colon == NULL)
				continue;
			resp->headers = lappend(resp->headers, line);
			value = colon + 1;
			while (*value == ' ' || *value == '\t')
				value++;
			if (pg_strncasecmp(line, "content-type:", 13) == 0)
				resp->content_type = value;
			else if (pg_strncasecmp(line, "retry-after:", 12) == 0)
				resp->retry_after = value;
			else if (pg_strncasecmp(line, "set-cookie:", 11) == 0)
				resp->set_cookies = lappend(resp->set_cookies,
											pnstrdup(value, strcspn(value, ";")));
		}
	}
	return resp;
}

const char *
alf_http_header(const AlfHttpResponse *resp, const char *name)
{
	ListCell   *lc;
	size_t		n = strlen(name);

	foreach(lc, resp->headers)
	{
		const char *line = (const char *) lfirst(lc);

		if (pg_strncasecmp(line, name, n) == 0 && line[n] == ':')
		{
			line += n + 1;
			while (*line == ' ' || *line == '\t')
				line++;
			return line;
		}
	}
	return NULL;
}

/*
 * A short, printable, valid-UTF-8 excerpt of a body, for DETAIL lines.
 * Scrubbed before it is cut, over a window past the cut, so that a secret
 * straddling the cut cannot leave a recognisable part behind.
 */
char *
alf_http_body_snippet(const AlfHttpResponse *resp, int maxlen)
{
	int			window;
	int			valid;
	int			full;
	int			len;
	char	   *text;
	char	   *c;

	if (resp->body == NULL || resp->body_len == 0)
		return pstrdup("(empty body)");
	maxlen = Max(Min(maxlen, ALF_SNIPPET_MAX), 1);
	window = (int) Min(resp->body_len, (size_t) (maxlen + ALF_SNIPPET_SLACK));
	valid = pg_encoding_verifymbstr(PG_UTF8, resp->body, window);
	/* only a character cut at the window's end may be incomplete */
	if (valid < window && ((size_t) window == resp->body_len || window - valid >= 4))
		return pstrdup("(body is not valid UTF-8)");
	text = pnstrdup(resp->body, valid);
	if (resp->scrub)
		text = resp->scrub(resp->scrub_arg, text);
	for (c = text; *c; c++)
		if ((unsigned char) *c < 0x20 || *c == 0x7f)
			*c = ' ';
	full = (int) strlen(text);
	len = full > maxlen ? pg_encoding_mbcliplen(PG_UTF8, text, full, maxlen) : full;
	if (len < full || (size_t) valid < resp->body_len)
		return psprintf("%.*s...", len, text);
	return text;
}

/* Milliseconds a Retry-After value asks for, or -1 if absent/unreadable. */
static long
alf_retry_after_ms(const char *value)
{
	char	   *end;
	double		secs;
	TimestampTz when;

	if (value == NULL)
		return -1;
	secs = strtod(value, &end);
	if (end != value && secs >= 0)
		return (long) Min(secs * 1000.0, (double) ALF_MAX_RETRY_AFTER_MS);
	/* an HTTP-date, read like any vendor time */
	if (alf_text_to_timestamptz(value, NULL, &when))
	{
		int64		delta = (int64) (when - GetCurrentTimestamp());

		return (long) Max(0, Min(delta / 1000, (int64) ALF_MAX_RETRY_AFTER_MS));
	}
	return -1;
}

/* Retry-After from a header, or from a JSON body field (ZIA puts it there). */
static long
alf_response_retry_ms(const AlfHttpResponse *resp)
{
	long		ms = alf_retry_after_ms(resp->retry_after);
	const char *p;

	if (ms >= 0 || resp->body == NULL)
		return ms;
	p = strstr(resp->body, "\"Retry-After\"");
	if (p && (p = strchr(p + 13, ':')) != NULL)
	{
		p++;
		while (*p == ' ' || *p == '"')
			p++;
		ms = alf_retry_after_ms(p);
	}
	return ms;
}

static long
alf_backoff_ms(int attempt)
{
	double		cap = (double) ALF_BACKOFF_BASE_MS * pow(2.0, (double) Min(attempt - 1, 10));
	double		jittered;

	cap = Min(cap, (double) ALF_BACKOFF_MAX_MS);
	/* "equal jitter": half fixed, half random, so retries spread out */
	jittered = cap / 2.0 + alf_random_fraction() * cap / 2.0;
	return (long) jittered;
}

/* Curl errors that prove no byte of the request reached the vendor. */
static bool
alf_request_never_sent(const AlfTransfer *xfer)
{
	switch (xfer->result)
	{
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_CONNECT:
		case CURLE_SSL_CONNECT_ERROR:
			return true;
		case CURLE_OPERATION_TIMEDOUT:
			/* timed out before the transfer started: while connecting */
			return xfer->pretransfer_us == 0;
		default:
			return false;
	}
}

/* May the vendor see this request twice?  GET and the like, or a POST so marked. */
static bool
alf_request_idempotent(const AlfHttpRequest *req)
{
	return req->safe_to_repeat ||
		strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0 ||
		strcmp(req->method, "PUT") == 0 || strcmp(req->method, "DELETE") == 0;
}

static bool
alf_retryable_curl_error(CURLcode rc)
{
	switch (rc)
	{
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_CONNECT:
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
		case CURLE_SSL_CONNECT_ERROR:
			return true;
		default:
			return false;
	}
}

AlfHttpPending *
alf_http_start(AlfHttpClient *client, const AlfHttpRequest *req)
{
	/* its own context, so a long scan does not accumulate request copies */
	MemoryContext cxt = AllocSetContextCreate(client->cxt, "auditlog_fdw request",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	AlfHttpPending *pending = palloc0(sizeof(AlfHttpPending));

	pending->cxt = cxt;
	pending->req = alf_copy_request(req);
	MemoryContextSwitchTo(old);

	/* every request, logins and downloads too (auditlog_fdw.log_requests) */
	if (alf_logging_requests())
		alf_log_request(client->cfg.vendor_name, client->cfg.scrub ?
						client->cfg.scrub(client->cfg.scrub_arg, pending->req.display) :
						pending->req.display);

	if (!(pg_strncasecmp(req->url, "https://", 8) == 0 ||
		  (client->cfg.allow_loopback_http && alf_is_loopback_http(req->url))))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("refusing to send a request to a URL that is not https"),
				 errdetail_internal("%s", pending->req.display),
				 errhint("Only https:// URLs, or http:// on a loopback host, are allowed.")));

	alf_check_host_allowed(&pending->req);
	alf_start_attempt(client, pending);
	return pending;
}

AlfHttpResponse *
alf_http_finish(AlfHttpClient *client, AlfHttpPending *pending)
{
	for (;;)
	{
		AlfTransfer *xfer = pending->xfer;
		AlfHttpResponse *resp = NULL;
		bool		retry = false;
		bool		refused = false;	/* the vendor declined to act on it */
		long		delay = -1;
		char	   *why = NULL;

		alf_wait_for(client, xfer);

		if (xfer->too_large)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("response from %s is larger than %zu bytes",
							client->cfg.vendor_name, (size_t) ALF_MAX_BODY_BYTES),
					 errdetail_internal("%s", pending->req.display)));
		if (xfer->out_of_memory)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));

		if (xfer->result != CURLE_OK)
		{
			why = pstrdup(xfer->errbuf[0] ? xfer->errbuf : curl_easy_strerror(xfer->result));
			if (!alf_retryable_curl_error(xfer->result))
				ereport(ERROR,
						(errcode(ERRCODE_CONNECTION_FAILURE),
						 errmsg("could not connect to %s", client->cfg.vendor_name),
						 errdetail_internal("%s: %s", pending->req.display, why),
						 errhint("Check the server's base_url, ca_file and proxy options.")));
			retry = true;
			refused = alf_request_never_sent(xfer);
		}
		else
		{
			client->stats.bytes += xfer->body_len;
			resp = alf_make_response(client, pending);
			if (resp->status == 429 || resp->status >= 500 ||
				(client->cfg.is_throttled && client->cfg.is_throttled(resp)))
			{
				char	   *msg = client->cfg.error_message ? client->cfg.error_message(resp) : NULL;

				retry = true;
				delay = alf_response_retry_ms(resp);
				refused = resp->status == 429 || (resp->status == 503 && delay >= 0) ||
					(client->cfg.is_throttled && client->cfg.is_throttled(resp));
				why = psprintf("HTTP %ld: %s", resp->status,
							   msg ? msg : alf_http_body_snippet(resp, 200));
				if (client->cfg.scrub)
					why = client->cfg.scrub(client->cfg.scrub_arg, why);
			}
		}

		/* a throttle answer or rate-limit headers pause all scans of the server */
		if (resp)
			alf_budget_observe(client->cfg.budget_server, resp, retry && refused, delay);

		if (!retry)
		{
			alf_transfer_free(client, xfer);
			pending->xfer = NULL;
			MemoryContextDelete(pending->cxt);
			return resp;
		}

		/* an attempt cut short by the scan deadline ends the scan */
		if (alf_deadline_left_ms(client) <= 0)
			alf_deadline_exceeded(client, pending->req.display, why);

		if (!refused && !pending->req.no_retry && !alf_request_idempotent(&pending->req))
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 resp ?
					 errmsg("%s failed a request that is not safe to repeat",
							client->cfg.vendor_name) :
					 errmsg("lost the connection to %s during a request that is not safe to repeat",
							client->cfg.vendor_name),
					 errdetail_internal("%s: %s", pending->req.display, why),
					 errhint("%s may have acted on the request (a session, a token or a job); "
							 "it is not sent twice.  Run the query again later.",
							 client->cfg.vendor_name)));

		if (pending->req.no_retry || pending->attempts > client->cfg.max_retries)
		{
			bool		throttled = resp && (resp->status == 429 ||
											 (client->cfg.is_throttled &&
											  client->cfg.is_throttled(resp)));

			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 throttled ?
					 errmsg("%s kept rate-limiting requests", client->cfg.vendor_name) :
					 resp ?
					 errmsg("%s kept failing", client->cfg.vendor_name) :
					 errmsg("could not reach %s", client->cfg.vendor_name),
					 errdetail_internal("%s gave up after %d attempts: %s",
										pending->req.display, pending->attempts, why),
					 throttled ?
					 errhint("Retry later, lower concurrency, or raise max_retries.") :
					 errhint("Check base_url and the network, or raise max_retries or timeout_ms.")));
		}

		/* the scan's budget: many requests each retrying a little add up */
		if (client->cfg.max_scan_retries > 0 &&
			client->stats.retries >= client->cfg.max_scan_retries)
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("scan of %s used up its retry budget of %d retries",
							client->cfg.vendor_name, client->cfg.max_scan_retries),
					 errdetail_internal("%s: %s", pending->req.display, why),
					 errhint("Retry later, or raise the max_scan_retries option.")));

		alf_transfer_free(client, xfer);
		pending->xfer = NULL;
		/* "Retry-After: 0" (ZIA's example) must not become a tight loop */
		if (delay < ALF_MIN_RETRY_MS)
			delay = Max(delay, 0) + (delay < 0 ? alf_backoff_ms(pending->attempts) :
									 ALF_MIN_RETRY_MS);
		/* a retry that could only start after the deadline fails now */
		if (delay >= alf_deadline_left_ms(client))
			alf_deadline_exceeded(client, pending->req.display, why);
		client->stats.retries++;
		ereport(DEBUG1,
				(errmsg_internal("auditlog_fdw: retrying %s in %ld ms: %s",
								 pending->req.display, delay, why)));
		alf_client_wait_ms(client, delay);
		alf_start_attempt(client, pending);
	}
}

AlfHttpResponse *
alf_http_execute(AlfHttpClient *client, const AlfHttpRequest *req)
{
	return alf_http_finish(client, alf_http_start(client, req));
}

void
alf_http_abandon(AlfHttpClient *client, AlfHttpPending *pending)
{
	if (pending == NULL)
		return;
	if (pending->xfer &&
		!alf_transfer_orphan(client, pending->xfer, pending->req.body != NULL))
		alf_transfer_free(client, pending->xfer);
	pending->xfer = NULL;
	MemoryContextDelete(pending->cxt);
}

/* Percent-encode everything but RFC 3986 unreserved characters. */
char *
alf_url_encode(const char *s)
{
	StringInfoData buf;
	const unsigned char *p;

	initStringInfo(&buf);
	for (p = (const unsigned char *) s; *p; p++)
	{
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			(*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~')
			appendStringInfoChar(&buf, (char) *p);
		else
			appendStringInfo(&buf, "%%%02X", *p);
	}
	return buf.data;
}

/*
 * ---- several requests at once (chains.c) ----
 *
 * Let curl take what has arrived, waiting at most a millisecond (alf_drive
 * reads the sockets only when it may wait).
 */
void
alf_http_poll(AlfHttpClient *client)
{
	alf_drive(client, 1);
}

/*
 * Whether a started request's current attempt has its answer, as of the
 * last poll or wait.  A done attempt that will be retried counts as done:
 * alf_http_finish then sleeps and retries as usual.
 */
bool
alf_http_pending_done(const AlfHttpPending *pending)
{
	return pending->xfer == NULL || pending->xfer->done;
}

/* Wait, interruptibly, until one of the n started requests is done. */
void
alf_http_wait_any(AlfHttpClient *client, AlfHttpPending *const *pendings, int n)
{
	for (;;)
	{
		int			i;

		for (i = 0; i < n; i++)
			if (alf_http_pending_done(pendings[i]))
				return;
		CHECK_FOR_INTERRUPTS();
		alf_drive(client, client->m->nsockets > 0 ? 1000 : 20);
	}
}
