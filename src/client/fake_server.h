/* A fake tinykv store for unit tests (never linked into libtinykv): a thread
 * serving the framed protocol on 127.0.0.1 with an in-memory sorted map, so
 * the client library and the CLI can be tested without tinykvd.
 *
 * Scripted misbehaviour, keyed by the request's key:
 *   get "slow"        never answered
 *   get "drop"        the connection is closed without a reply
 *   delete "nospace"  answered with error NO_SPACE "disk full"
 *   put "" ...        answered with error BAD_REQUEST (like tinykvd)
 * Connections are served one after another (one client at a time). */
#ifndef TK_CLIENT_FAKE_SERVER_H
#define TK_CLIENT_FAKE_SERVER_H

struct tkv_fake;

/* Start listening on a free port; aborts the test process on failure. */
struct tkv_fake *tkv_fake_start(void);
/* "127.0.0.1:PORT" */
const char *tkv_fake_address(const struct tkv_fake *f);
/* Connections accepted so far. */
int tkv_fake_accepts(const struct tkv_fake *f);
/* Stop the thread (after the current client disconnects) and free. */
void tkv_fake_stop(struct tkv_fake *f);

#endif
