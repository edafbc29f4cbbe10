/* The session journal and key file described in journal.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "journal.h"
#include "regfile.h"

#define JOURNAL_MAGIC		"HEJRNL\r\n"
#define JOURNAL_MAGIC_LEN	8
#define JOURNAL_FILE_ID_LEN	16
#define JOURNAL_KEY_ID_LEN	8
#define JOURNAL_MAC_LEN		32	/* HMAC-SHA256 */
#define JOURNAL_FRAME_LEN	4	/* length and check */
/* Type and payload of one record, bytes. JOURNAL_UP needs at most 337. */
#define JOURNAL_BODY_MAX	512
#define JOURNAL_RECORD_MAX	\
	(JOURNAL_FRAME_LEN + JOURNAL_BODY_MAX + JOURNAL_MAC_LEN)
#define JOURNAL_BUCKETS_MIN	64
#define JOURNAL_OUT_BUF_SIZE	(64 * 1024)	/* compaction write buffer */

/* Offsets in the header. */
#define JOURNAL_OFF_VERSION	8
#define JOURNAL_OFF_FILE_ID	12
#define JOURNAL_OFF_KEY_ID	28
#define JOURNAL_OFF_ID_MAX	36
#define JOURNAL_OFF_MAC		44

#define JOURNAL_SUFFIX_MAX	sizeof(".rejected.99")
#define JOURNAL_ASIDE_MAX	100	/* rejected files kept side by side */

struct journal_node {
	struct journal_session	s;
	struct journal_node	*hash_next;
	TAILQ_ENTRY(journal_node) entry;
};

TAILQ_HEAD(journal_list, journal_node);

struct journal {
	char		path[PATH_MAX - JOURNAL_SUFFIX_MAX];
	int		fd;		/* the journal file, or -1 */
	int		lock_fd;
	EVP_MAC_CTX	*mac;		/* HMAC-SHA256, keyed */
	uint8_t		key_id[JOURNAL_KEY_ID_LEN];
	uint8_t		file_id[JOURNAL_FILE_ID_LEN];
	uint64_t	seq;		/* sequence number of the next record */
	uint64_t	size;		/* bytes in the file, all valid */
	uint64_t	live_size;	/* bytes that compaction would write */
	uint64_t	id_max;
	bool		unsynced;	/* records written since fdatasync */
	bool		broken;		/* the file ends in a partial write */
	bool		ends_missing;	/* a JOURNAL_DOWN was not written */
	struct journal_node **buckets;
	size_t		nbuckets;	/* a power of 2 */
	size_t		count;
	struct journal_list sessions;	/* in login order */
};

/* Bytes being encoded into a fixed buffer. */
struct journal_buf {
	uint8_t		*data;
	size_t		len;
	size_t		cap;
	bool		overflow;
};

/* Bytes being decoded. Any read past the end sets bad. */
struct journal_cursor {
	const uint8_t	*data;
	size_t		len;
	size_t		off;
	bool		bad;
};

/* A file being written through a buffer, by compaction. */
struct journal_out {
	int		fd;
	uint8_t		*buf;
	size_t		len;
	uint64_t	offset;	/* of buf[0] in the file */
};

static void	journal_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void	journal_err_append(char *err, size_t errlen,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
journal_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void
journal_err_clear(char *err, size_t errlen)
{
	if (err != NULL && errlen > 0)
		err[0] = '\0';
}

static void
journal_err_append(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	size_t used;

	if (err == NULL || errlen == 0)
		return;

	used = strnlen(err, errlen);
	if (used + 1 >= errlen)
		return;

	va_start(ap, fmt);
	vsnprintf(err + used, errlen - used, fmt, ap);
	va_end(ap);
}

/* ---- byte order and buffers ---- */

static uint16_t
journal_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
journal_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
journal_be64(const uint8_t *p)
{
	return (uint64_t)journal_be32(p) << 32 | journal_be32(p + 4);
}

static void
journal_be16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
journal_be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
journal_be64_put(uint8_t *p, uint64_t v)
{
	journal_be32_put(p, (uint32_t)(v >> 32));
	journal_be32_put(p + 4, (uint32_t)v);
}

static void
journal_put(struct journal_buf *b, const void *p, size_t n)
{
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = true;
		return;
	}

	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void
journal_put_u8(struct journal_buf *b, uint8_t v)
{
	journal_put(b, &v, 1);
}

static void
journal_put_u32(struct journal_buf *b, uint32_t v)
{
	uint8_t p[4];

	journal_be32_put(p, v);
	journal_put(b, p, sizeof(p));
}

static void
journal_put_u64(struct journal_buf *b, uint64_t v)
{
	uint8_t p[8];

	journal_be64_put(p, v);
	journal_put(b, p, sizeof(p));
}

/* A string as a u8 length and its bytes; s fits in 255 bytes. */
static void
journal_put_str(struct journal_buf *b, const char *s)
{
	size_t len = strlen(s);

	journal_put_u8(b, (uint8_t)len);
	journal_put(b, s, len);
}

static const uint8_t *
journal_get(struct journal_cursor *c, size_t n)
{
	const uint8_t *p;

	if (c->bad || n > c->len - c->off) {
		c->bad = true;
		return NULL;
	}

	p = c->data + c->off;
	c->off += n;
	return p;
}

static uint8_t
journal_get_u8(struct journal_cursor *c)
{
	const uint8_t *p = journal_get(c, 1);

	return p != NULL ? p[0] : 0;
}

static uint32_t
journal_get_u32(struct journal_cursor *c)
{
	const uint8_t *p = journal_get(c, 4);

	return p != NULL ? journal_be32(p) : 0;
}

static uint64_t
journal_get_u64(struct journal_cursor *c)
{
	const uint8_t *p = journal_get(c, 8);

	return p != NULL ? journal_be64(p) : 0;
}

static int64_t
journal_get_i64(struct journal_cursor *c)
{
	return (int64_t)journal_get_u64(c);
}

static void
journal_get_bytes(struct journal_cursor *c, void *out, size_t n)
{
	const uint8_t *p = journal_get(c, n);

	if (p != NULL)
		memcpy(out, p, n);
}

/* A string must fit out with its NUL and contain no NUL byte. */
static void
journal_get_str(struct journal_cursor *c, char *out, size_t size)
{
	size_t len = journal_get_u8(c);
	const uint8_t *p = journal_get(c, len);

	out[0] = '\0';
	if (p == NULL)
		return;

	if (len >= size || memchr(p, '\0', len) != NULL) {
		c->bad = true;
		return;
	}

	memcpy(out, p, len);
	out[len] = '\0';
}

static bool
journal_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != 0)
			return false;
	}

	return true;
}

/* ---- keys and MACs ---- */

static int
journal_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}

	return 0;
}

static EVP_MAC_CTX *
journal_mac_new(const uint8_t key[JOURNAL_KEY_LEN])
{
	char digest[] = "SHA256";
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *hmac;

	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (hmac != NULL)
		ctx = EVP_MAC_CTX_new(hmac);
	EVP_MAC_free(hmac);
	if (ctx == NULL)
		return NULL;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, JOURNAL_KEY_LEN, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}

	return ctx;
}

/*
 * HMAC the concatenation of iov under the journal key. EVP_MAC_init with
 * a NULL key restarts HMAC with the key already set (OpenSSL 3.0; the
 * unit tests compare the result with a one-shot HMAC), which saves a key
 * schedule per record.
 */
static int
journal_hmac(struct journal *j, const struct iovec *iov, int iovcnt,
    uint8_t out[JOURNAL_MAC_LEN])
{
	size_t outlen = 0;
	int i;

	if (EVP_MAC_init(j->mac, NULL, 0, NULL) != 1)
		return -EIO;

	for (i = 0; i < iovcnt; i++) {
		if (EVP_MAC_update(j->mac, iov[i].iov_base,
		    iov[i].iov_len) != 1)
			return -EIO;
	}

	if (EVP_MAC_final(j->mac, out, &outlen, JOURNAL_MAC_LEN) != 1 ||
	    outlen != JOURNAL_MAC_LEN)
		return -EIO;

	return 0;
}

/* MAC of a record: frame, type and payload, len bytes at rec. */
static int
journal_record_mac(struct journal *j, const uint8_t *file_id, uint64_t seq,
    const uint8_t *rec, size_t len, uint8_t out[JOURNAL_MAC_LEN])
{
	uint8_t seqbuf[8];
	struct iovec iov[3];

	journal_be64_put(seqbuf, seq);
	iov[0].iov_base = (void *)file_id;
	iov[0].iov_len = JOURNAL_FILE_ID_LEN;
	iov[1].iov_base = seqbuf;
	iov[1].iov_len = sizeof(seqbuf);
	iov[2].iov_base = (void *)rec;
	iov[2].iov_len = len;
	return journal_hmac(j, iov, 3, out);
}

/*
 * The key id lets the loader tell a file under another key from a damaged
 * one. It is a MAC, so it reveals nothing about the key.
 */
static int
journal_key_id_compute(struct journal *j)
{
	uint8_t mac[JOURNAL_MAC_LEN];
	struct iovec iov;
	int rc;

	iov.iov_base = (void *)"key id";
	iov.iov_len = strlen("key id");
	rc = journal_hmac(j, &iov, 1, mac);
	memcpy(j->key_id, mac, sizeof(j->key_id));
	return rc;
}

int
journal_cookie_hash(const char *cookie,
    uint8_t hash[JOURNAL_COOKIE_HASH_LEN])
{
	if (EVP_Digest(cookie, strlen(cookie), hash, NULL, EVP_sha256(),
	    NULL) != 1)
		return -EIO;

	return 0;
}

/* ---- the table of live sessions ---- */

static size_t
journal_bucket(const struct journal *j, uint64_t id)
{
	uint64_t h = id * 0x9e3779b97f4a7c15ull;

	return (size_t)(h ^ h >> 32) & (j->nbuckets - 1);
}

static struct journal_node *
journal_node_find(const struct journal *j, uint64_t id)
{
	struct journal_node *n;

	for (n = j->buckets[journal_bucket(j, id)]; n != NULL;
	    n = n->hash_next) {
		if (n->s.id == id)
			return n;
	}

	return NULL;
}

/* Keep at most one session per bucket on average. */
static int
journal_table_reserve(struct journal *j)
{
	struct journal_node **buckets, *n;
	size_t i;

	if (j->count < j->nbuckets)
		return 0;

	buckets = calloc(j->nbuckets * 2, sizeof(*buckets));
	if (buckets == NULL)
		return -ENOMEM;

	free(j->buckets);
	j->buckets = buckets;
	j->nbuckets *= 2;
	TAILQ_FOREACH(n, &j->sessions, entry) {
		i = journal_bucket(j, n->s.id);
		n->hash_next = j->buckets[i];
		j->buckets[i] = n;
	}

	return 0;
}

/* Bytes of the JOURNAL_UP record for s: frame, type, payload and MAC. */
static size_t
journal_up_size(const struct journal_session *s)
{
	return JOURNAL_FRAME_LEN + 1 + 8 + JOURNAL_COOKIE_HASH_LEN +
	    1 + strlen(s->user) + 1 + strlen(s->group) + 1 + strlen(s->pool) +
	    4 + 3 * 8 + 4 + 4 + 4 + JOURNAL_MAC_LEN;
}

/* Add n, for which journal_table_reserve has made room. */
static void
journal_node_insert(struct journal *j, struct journal_node *n)
{
	size_t i = journal_bucket(j, n->s.id);

	n->hash_next = j->buckets[i];
	j->buckets[i] = n;
	TAILQ_INSERT_TAIL(&j->sessions, n, entry);
	j->count++;
	j->live_size += journal_up_size(&n->s);
	if (n->s.id > j->id_max)
		j->id_max = n->s.id;
}

static void
journal_node_remove(struct journal *j, struct journal_node *n)
{
	struct journal_node **pp;

	pp = &j->buckets[journal_bucket(j, n->s.id)];
	while (*pp != n)
		pp = &(*pp)->hash_next;
	*pp = n->hash_next;

	TAILQ_REMOVE(&j->sessions, n, entry);
	j->count--;
	j->live_size -= journal_up_size(&n->s);
	free(n);
}

static void
journal_table_clear(struct journal *j)
{
	struct journal_node *n;

	while ((n = TAILQ_FIRST(&j->sessions)) != NULL)
		journal_node_remove(j, n);
}

/* Every string ends inside its array, and the user is not empty. */
static bool
journal_session_valid(const struct journal_session *s)
{
	return s->user[0] != '\0' &&
	    memchr(s->user, '\0', sizeof(s->user)) != NULL &&
	    memchr(s->group, '\0', sizeof(s->group)) != NULL &&
	    memchr(s->pool, '\0', sizeof(s->pool)) != NULL;
}

/* ---- records ---- */

/* Start a record in data, leaving room for the frame. */
static void
journal_record_begin(struct journal_buf *b, uint8_t *data, size_t cap)
{
	b->data = data;
	b->cap = cap;
	b->len = JOURNAL_FRAME_LEN;
	b->overflow = false;
}

/* Fill in the frame of the record in b and append its MAC. */
static int
journal_record_seal(struct journal *j, const uint8_t *file_id, uint64_t seq,
    struct journal_buf *b)
{
	uint8_t mac[JOURNAL_MAC_LEN];
	size_t body = b->len - JOURNAL_FRAME_LEN;
	int rc;

	if (b->overflow || body > JOURNAL_BODY_MAX)
		return -EINVAL;

	journal_be16_put(b->data, (uint16_t)body);
	journal_be16_put(b->data + 2, (uint16_t)(body ^ 0xffff));
	rc = journal_record_mac(j, file_id, seq, b->data, b->len, mac);
	if (rc != 0)
		return rc;

	journal_put(b, mac, sizeof(mac));
	return b->overflow ? -EINVAL : 0;
}

static void
journal_up_encode(struct journal_buf *b, const struct journal_session *s)
{
	journal_put_u8(b, JOURNAL_UP);
	journal_put_u64(b, s->id);
	journal_put(b, s->cookie_hash, sizeof(s->cookie_hash));
	journal_put_str(b, s->user);
	journal_put_str(b, s->group);
	journal_put_str(b, s->pool);
	journal_put_u32(b, s->addr);
	journal_put_u64(b, (uint64_t)s->started);
	journal_put_u64(b, (uint64_t)s->expires);
	journal_put_u64(b, (uint64_t)s->last_seen);
	journal_put_u32(b, s->reconnects);
	journal_put_u32(b, s->flags);
	journal_put_u32(b, s->netmask);
}

/*
 * Skip what a later version appended to a record: its MAC vouches for
 * it, and a rollback to this version keeps the sessions.
 */
static void
journal_skip_later_fields(struct journal_cursor *c)
{
	if (!c->bad)
		c->off = c->len;
}

static void
journal_up_decode(struct journal_cursor *c, struct journal_session *s)
{
	s->id = journal_get_u64(c);
	journal_get_bytes(c, s->cookie_hash, sizeof(s->cookie_hash));
	journal_get_str(c, s->user, sizeof(s->user));
	journal_get_str(c, s->group, sizeof(s->group));
	journal_get_str(c, s->pool, sizeof(s->pool));
	s->addr = journal_get_u32(c);
	s->started = journal_get_i64(c);
	s->expires = journal_get_i64(c);
	s->last_seen = journal_get_i64(c);
	s->reconnects = journal_get_u32(c);
	s->flags = journal_get_u32(c);

	/* Files of earlier versions end the record here. */
	s->netmask = c->off < c->len ? journal_get_u32(c) : 0;
	journal_skip_later_fields(c);
}

/* Apply a JOURNAL_UP payload. Returns 0, -EBADMSG with *reason, or -ENOMEM. */
static int
journal_apply_up(struct journal *j, struct journal_cursor *c,
    const char **reason)
{
	struct journal_node *n;

	n = calloc(1, sizeof(*n));
	if (n == NULL || journal_table_reserve(j) != 0) {
		free(n);
		return -ENOMEM;
	}

	journal_up_decode(c, &n->s);
	if (c->bad || n->s.user[0] == '\0')
		*reason = "malformed login record";
	else if (journal_node_find(j, n->s.id) != NULL)
		*reason = "second login record for a live session";
	else
		*reason = NULL;

	if (*reason != NULL) {
		free(n);
		return -EBADMSG;
	}

	journal_node_insert(j, n);
	return 0;
}

static int
journal_apply_update(struct journal *j, struct journal_cursor *c,
    const char **reason)
{
	struct journal_node *n;
	uint64_t id;
	int64_t last_seen;
	uint32_t reconnects, flags;

	id = journal_get_u64(c);
	last_seen = journal_get_i64(c);
	reconnects = journal_get_u32(c);
	flags = journal_get_u32(c);
	journal_skip_later_fields(c);
	if (c->bad) {
		*reason = "malformed update record";
		return -EBADMSG;
	}

	n = journal_node_find(j, id);
	if (n == NULL) {
		*reason = "update record for a session that is not live";
		return -EBADMSG;
	}

	n->s.last_seen = last_seen;
	n->s.reconnects = reconnects;
	n->s.flags = flags;
	return 0;
}

static int
journal_apply_down(struct journal *j, struct journal_cursor *c,
    const char **reason)
{
	struct journal_node *n;
	uint64_t id;

	id = journal_get_u64(c);
	journal_skip_later_fields(c);
	if (c->bad) {
		*reason = "malformed logout record";
		return -EBADMSG;
	}

	n = journal_node_find(j, id);
	if (n == NULL) {
		*reason = "logout record for a session that is not live";
		return -EBADMSG;
	}

	journal_node_remove(j, n);
	return 0;
}

/* Apply the type and payload of a record to the table. */
static int
journal_apply(struct journal *j, const uint8_t *body, size_t len,
    const char **reason)
{
	struct journal_cursor c = { body, len, 0, false };

	switch (journal_get_u8(&c)) {
	case JOURNAL_UP:
		return journal_apply_up(j, &c, reason);
	case JOURNAL_UPDATE:
		return journal_apply_update(j, &c, reason);
	case JOURNAL_DOWN:
		return journal_apply_down(j, &c, reason);
	default:
		*reason = "unknown record type";
		return -EBADMSG;
	}
}

/* ---- loading ---- */

static int
journal_header_encode(struct journal *j, const uint8_t *file_id,
    uint8_t out[JOURNAL_HEADER_LEN])
{
	struct iovec iov;

	memcpy(out, JOURNAL_MAGIC, JOURNAL_MAGIC_LEN);
	journal_be32_put(out + JOURNAL_OFF_VERSION, JOURNAL_VERSION);
	memcpy(out + JOURNAL_OFF_FILE_ID, file_id, JOURNAL_FILE_ID_LEN);
	memcpy(out + JOURNAL_OFF_KEY_ID, j->key_id, JOURNAL_KEY_ID_LEN);
	journal_be64_put(out + JOURNAL_OFF_ID_MAX, j->id_max);
	iov.iov_base = out;
	iov.iov_len = JOURNAL_OFF_MAC;
	return journal_hmac(j, &iov, 1, out + JOURNAL_OFF_MAC);
}

/*
 * Check the header and take the file id and id max from it. Returns
 * JOURNAL_LOADED, JOURNAL_CORRUPT or JOURNAL_FOREIGN with err set, or
 * -EIO.
 */
static int
journal_header_check(struct journal *j, const uint8_t *data, size_t len,
    char *err, size_t errlen)
{
	uint8_t mac[JOURNAL_MAC_LEN];
	struct iovec iov;
	uint32_t version;

	if (len < JOURNAL_HEADER_LEN ||
	    memcmp(data, JOURNAL_MAGIC, JOURNAL_MAGIC_LEN) != 0) {
		journal_err(err, errlen, "state file %s is not a session "
		    "journal (invalid header)", j->path);
		return JOURNAL_CORRUPT;
	}

	version = journal_be32(data + JOURNAL_OFF_VERSION);
	if (version != JOURNAL_VERSION) {
		journal_err(err, errlen, "state file %s has version %u, "
		    "expected %u%s", j->path, version, JOURNAL_VERSION,
		    version > JOURNAL_VERSION ? ", so a newer headend wrote "
		    "it: its sessions come back if that version starts with "
		    "the file where it was" : "");
		return JOURNAL_CORRUPT;
	}

	if (memcmp(data + JOURNAL_OFF_KEY_ID, j->key_id,
	    JOURNAL_KEY_ID_LEN) != 0) {
		journal_err(err, errlen, "state file %s was written under "
		    "another key", j->path);
		return JOURNAL_FOREIGN;
	}

	iov.iov_base = (void *)data;
	iov.iov_len = JOURNAL_OFF_MAC;
	if (journal_hmac(j, &iov, 1, mac) != 0)
		return -EIO;

	if (CRYPTO_memcmp(mac, data + JOURNAL_OFF_MAC, sizeof(mac)) != 0) {
		journal_err(err, errlen, "state file %s: header fails "
		    "authentication", j->path);
		return JOURNAL_CORRUPT;
	}

	memcpy(j->file_id, data + JOURNAL_OFF_FILE_ID, JOURNAL_FILE_ID_LEN);
	j->id_max = journal_be64(data + JOURNAL_OFF_ID_MAX);
	return JOURNAL_LOADED;
}

static int
journal_torn(struct journal *j, size_t off, size_t len, uint64_t seq,
    char *err, size_t errlen)
{
	journal_err(err, errlen, "state file %s: cut an incomplete or damaged "
	    "record %llu at offset %zu (%zu bytes to the end of the file), "
	    "as left by an interrupted write", j->path,
	    (unsigned long long)seq, off, len - off);
	return JOURNAL_TRUNCATED;
}

static int
journal_bad_record(struct journal *j, size_t off, uint64_t seq,
    const char *reason, char *err, size_t errlen)
{
	journal_err(err, errlen, "state file %s: record %llu at offset %zu: "
	    "%s", j->path, (unsigned long long)seq, off, reason);
	return JOURNAL_CORRUPT;
}

/*
 * Check and apply the record at *off and move *off past it. Returns
 * JOURNAL_LOADED for a valid record, JOURNAL_TRUNCATED for a torn tail,
 * JOURNAL_CORRUPT, or -errno.
 */
static int
journal_record_load(struct journal *j, const uint8_t *data, size_t len,
    size_t *off, uint64_t seq, char *err, size_t errlen)
{
	const uint8_t *rec = data + *off;
	size_t rest = len - *off, body, total;
	uint8_t mac[JOURNAL_MAC_LEN];
	const char *reason;
	int rc;

	if (rest < JOURNAL_FRAME_LEN)
		return journal_torn(j, *off, len, seq, err, errlen);

	body = journal_be16(rec);
	if ((body ^ 0xffff) != journal_be16(rec + 2) || body == 0 ||
	    body > JOURNAL_BODY_MAX) {
		if (journal_zero(rec, rest))
			return journal_torn(j, *off, len, seq, err, errlen);
		return journal_bad_record(j, *off, seq, "invalid length",
		    err, errlen);
	}

	total = JOURNAL_FRAME_LEN + body + JOURNAL_MAC_LEN;
	if (total > rest)
		return journal_torn(j, *off, len, seq, err, errlen);

	rc = journal_record_mac(j, j->file_id, seq, rec, total -
	    JOURNAL_MAC_LEN, mac);
	if (rc != 0)
		return rc;

	if (CRYPTO_memcmp(mac, rec + total - JOURNAL_MAC_LEN,
	    sizeof(mac)) != 0) {
		/* Only zeros after it: a write that the crash cut short. */
		if (journal_zero(rec + total, rest - total))
			return journal_torn(j, *off, len, seq, err, errlen);
		return journal_bad_record(j, *off, seq,
		    "fails authentication", err, errlen);
	}

	rc = journal_apply(j, rec + JOURNAL_FRAME_LEN, body, &reason);
	if (rc == -EBADMSG)
		return journal_bad_record(j, *off, seq, reason, err, errlen);
	if (rc != 0)
		return rc;

	*off += total;
	return JOURNAL_LOADED;
}

/* Rebuild the table from the contents of a file. */
static int
journal_parse(struct journal *j, const uint8_t *data, size_t len,
    char *err, size_t errlen)
{
	uint64_t seq = 0;
	size_t off = JOURNAL_HEADER_LEN;
	int status;

	status = journal_header_check(j, data, len, err, errlen);
	while (status == JOURNAL_LOADED && off < len) {
		status = journal_record_load(j, data, len, &off, seq, err,
		    errlen);
		seq++;
	}

	return status;
}

/* Read and check the file. Returns an enum journal_status or -errno. */
static int
journal_load(struct journal *j, char *err, size_t errlen)
{
	uint8_t *data;
	size_t len;
	int rc;

	rc = regfile_read_all(j->path, 0, &data, &len);
	if (rc == -ENOENT)
		return JOURNAL_FRESH;

	if (rc != 0) {
		journal_err(err, errlen, "cannot read state file %s: %s",
		    j->path, regfile_strerror(-rc));
		return rc;
	}

	/* A crash after creating the file but before the first write. */
	rc = len == 0 ? JOURNAL_FRESH : journal_parse(j, data, len, err,
	    errlen);
	free(data);
	if (rc < 0)
		journal_err(err, errlen, "cannot load state file %s: %s",
		    j->path, strerror(-rc));
	return rc;
}

/*
 * Name the place for a rejected file: PATH.rejected, or PATH.rejected.N
 * when earlier ones are there, so that each stays for inspection. The
 * last name is reused once all are taken.
 */
static void
journal_aside_name(const struct journal *j, char *aside, size_t len)
{
	int n;

	snprintf(aside, len, "%s.rejected", j->path);
	for (n = 1; n < JOURNAL_ASIDE_MAX && access(aside, F_OK) == 0; n++)
		snprintf(aside, len, "%s.rejected.%d", j->path, n);
}

/* Keep a corrupt or foreign file for inspection, out of the way. */
static int
journal_reject(struct journal *j, char *err, size_t errlen)
{
	char aside[PATH_MAX];
	int rc;

	journal_table_clear(j);
	j->id_max = 0;
	journal_aside_name(j, aside, sizeof(aside));
	if (rename(j->path, aside) != 0) {
		rc = -errno;
		journal_err_append(err, errlen, "; cannot move it to %s: %s",
		    aside, strerror(-rc));
		return rc;
	}

	journal_err_append(err, errlen, "; moved it to %s and started "
	    "with no sessions", aside);
	return 0;
}

/* Let the caller drop sessions it cannot restore. */
static void
journal_filter(struct journal *j, journal_session_fn *on_session, void *arg)
{
	struct journal_node *n, *next;

	for (n = TAILQ_FIRST(&j->sessions); n != NULL; n = next) {
		next = TAILQ_NEXT(n, entry);
		if (on_session != NULL && !on_session(&n->s, arg))
			journal_node_remove(j, n);
	}
}

/* ---- writing ---- */

static int
journal_write_at(int fd, const uint8_t *data, size_t len, uint64_t off)
{
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, data, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		data += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}

	return 0;
}

/*
 * Append the sealed record in b. A failed write or sync is cut off again
 * so that the file stays a sequence of valid records. A failed sync
 * leaves the state of the page cache unknown, so it also marks the file
 * broken and the next append rewrites it.
 */
static int
journal_append(struct journal *j, struct journal_buf *b, bool sync)
{
	int rc;

	rc = journal_write_at(j->fd, b->data, b->len, j->size);
	if (rc == 0 && sync && fdatasync(j->fd) != 0) {
		rc = -errno;
		j->broken = true;
	}

	if (rc != 0) {
		if (ftruncate(j->fd, (off_t)j->size) != 0)
			j->broken = true;
		return rc;
	}

	j->size += b->len;
	j->seq++;
	j->unsynced = !sync;
	return 0;
}

/* Seal the record in b with the next sequence number and append it. */
static int
journal_append_record(struct journal *j, struct journal_buf *b, bool sync)
{
	int rc;

	if (j->broken) {
		rc = journal_compact(j);
		if (rc != 0)
			return rc;
	}

	rc = journal_record_seal(j, j->file_id, j->seq, b);
	if (rc != 0)
		return rc;

	return journal_append(j, b, sync);
}

int
journal_append_up(struct journal *j, const struct journal_session *s)
{
	uint8_t data[JOURNAL_RECORD_MAX];
	struct journal_buf b;
	struct journal_node *n;
	int rc;

	if (!journal_session_valid(s))
		return -EINVAL;

	if (journal_node_find(j, s->id) != NULL)
		return -EEXIST;

	n = malloc(sizeof(*n));
	if (n == NULL || journal_table_reserve(j) != 0) {
		free(n);
		return -ENOMEM;
	}

	journal_record_begin(&b, data, sizeof(data));
	journal_up_encode(&b, s);
	rc = journal_append_record(j, &b, true);
	if (rc != 0) {
		free(n);
		return rc;
	}

	n->s = *s;
	journal_node_insert(j, n);
	return 0;
}

int
journal_append_update(struct journal *j, uint64_t id, int64_t last_seen,
    uint32_t reconnects, uint32_t flags)
{
	uint8_t data[JOURNAL_RECORD_MAX];
	struct journal_buf b;
	struct journal_node *n;
	int rc;

	n = journal_node_find(j, id);
	if (n == NULL)
		return -ENOENT;

	journal_record_begin(&b, data, sizeof(data));
	journal_put_u8(&b, JOURNAL_UPDATE);
	journal_put_u64(&b, id);
	journal_put_u64(&b, (uint64_t)last_seen);
	journal_put_u32(&b, reconnects);
	journal_put_u32(&b, flags);
	rc = journal_append_record(j, &b, false);
	if (rc != 0)
		return rc;

	n->s.last_seen = last_seen;
	n->s.reconnects = reconnects;
	n->s.flags = flags;
	return 0;
}

int
journal_append_down(struct journal *j, uint64_t id)
{
	uint8_t data[JOURNAL_RECORD_MAX];
	struct journal_buf b;
	struct journal_node *n;
	int rc;

	n = journal_node_find(j, id);
	if (n == NULL)
		return -ENOENT;

	journal_record_begin(&b, data, sizeof(data));
	journal_put_u8(&b, JOURNAL_DOWN);
	journal_put_u64(&b, id);
	rc = journal_append_record(j, &b, true);

	/*
	 * The session ends in memory even when the record is lost, and the
	 * file is rewritten from memory at the next chance: a session that
	 * stayed would come back at a restart, with its cookie.
	 */
	journal_node_remove(j, n);
	if (rc != 0)
		j->broken = j->ends_missing = true;
	return rc;
}

int
journal_sync(struct journal *j)
{
	if (j->broken)
		return journal_compact(j);

	if (!j->unsynced)
		return 0;

	if (fdatasync(j->fd) != 0) {
		j->broken = true;
		return -errno;
	}

	j->unsynced = false;
	return 0;
}

/* ---- compaction ---- */

static int
journal_out_flush(struct journal_out *o)
{
	int rc;

	rc = journal_write_at(o->fd, o->buf, o->len, o->offset);
	o->offset += o->len;
	o->len = 0;
	return rc;
}

static int
journal_out_put(struct journal_out *o, const uint8_t *data, size_t len)
{
	int rc;

	if (len > JOURNAL_OUT_BUF_SIZE - o->len) {
		rc = journal_out_flush(o);
		if (rc != 0)
			return rc;
	}

	memcpy(o->buf + o->len, data, len);
	o->len += len;
	return 0;
}

/* Write the header and one JOURNAL_UP record per live session. */
static int
journal_out_sessions(struct journal *j, struct journal_out *o,
    const uint8_t *file_id)
{
	uint8_t data[JOURNAL_RECORD_MAX];
	struct journal_node *n;
	struct journal_buf b;
	uint64_t seq = 0;
	int rc;

	rc = journal_header_encode(j, file_id, data);
	if (rc == 0)
		rc = journal_out_put(o, data, JOURNAL_HEADER_LEN);

	for (n = TAILQ_FIRST(&j->sessions); rc == 0 && n != NULL;
	    n = TAILQ_NEXT(n, entry)) {
		journal_record_begin(&b, data, sizeof(data));
		journal_up_encode(&b, &n->s);
		rc = journal_record_seal(j, file_id, seq++, &b);
		if (rc == 0)
			rc = journal_out_put(o, b.data, b.len);
	}

	if (rc == 0)
		rc = journal_out_flush(o);
	return rc;
}

/* Write the new file to fd, fsync it and store its size in *size. */
static int
journal_tmp_fill(struct journal *j, int fd, const uint8_t *file_id,
    uint64_t *size)
{
	struct journal_out o = { fd, NULL, 0, 0 };
	int rc;

	o.buf = malloc(JOURNAL_OUT_BUF_SIZE);
	if (o.buf == NULL)
		return -ENOMEM;

	rc = journal_out_sessions(j, &o, file_id);
	free(o.buf);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;

	*size = o.offset;
	return rc;
}

/* Start appending to the new file fd, whose records the table matches. */
static void
journal_switch(struct journal *j, int fd, const uint8_t *file_id,
    uint64_t size)
{
	if (j->fd >= 0)
		close(j->fd);

	j->fd = fd;
	memcpy(j->file_id, file_id, JOURNAL_FILE_ID_LEN);
	j->seq = j->count;
	j->size = size;
	j->unsynced = false;
	j->broken = false;
	j->ends_missing = false;
}

/*
 * Only one process can have the lock, so a fixed temporary name is safe,
 * and a leftover from a crash is overwritten by the next compaction.
 */
int
journal_compact(struct journal *j)
{
	uint8_t file_id[JOURNAL_FILE_ID_LEN];
	char tmp[PATH_MAX];
	uint64_t size;
	int fd, rc;

	rc = journal_random(file_id, sizeof(file_id));
	if (rc != 0)
		return rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp", j->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return -errno;

	/* An old temporary file keeps its mode through O_CREAT. */
	rc = fchmod(fd, 0600) != 0 ? -errno : 0;
	if (rc == 0)
		rc = journal_tmp_fill(j, fd, file_id, &size);
	if (rc != 0) {
		close(fd);
		unlink(tmp);
		return rc;
	}

	if (rename(tmp, j->path) != 0) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		return rc;
	}

	/* Renamed, maybe not yet durable: the new file is the journal now. */
	journal_switch(j, fd, file_id, size);
	return regfile_dir_sync(j->path);
}

bool
journal_needs_rewrite(const struct journal *j)
{
	return j->broken;
}

bool
journal_misses_ends(const struct journal *j)
{
	return j->ends_missing;
}

bool
journal_compact_due(const struct journal *j)
{
	return j->size >= JOURNAL_COMPACT_MIN &&
	    j->size > JOURNAL_COMPACT_FACTOR * j->live_size;
}

int
journal_clear(struct journal *j)
{
	int rc;

	journal_table_clear(j);

	/* The file still has every session, whose end it now misses. */
	if ((rc = journal_compact(j)) != 0)
		j->broken = j->ends_missing = true;
	return rc;
}

/* ---- opening and closing ---- */

/* The path of the lock file: the journal's path with ".lock". */
static void
journal_lock_path(const struct journal *j, char *lock, size_t len)
{
	snprintf(lock, len, "%s.lock", j->path);
}

/* Take the lock that keeps a second process away from the journal. */
static int
journal_lock(struct journal *j, char *err, size_t errlen)
{
	char lock[PATH_MAX];
	int rc;

	journal_lock_path(j, lock, sizeof(lock));
	j->lock_fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (j->lock_fd < 0) {
		rc = -errno;
		journal_err(err, errlen, "cannot open lock file %s: %s",
		    lock, strerror(-rc));
		return rc;
	}

	if (flock(j->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;

	rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
	journal_err(err, errlen, "cannot lock %s: %s", lock,
	    rc == -EBUSY ? "another process has the state file open" :
	    strerror(-rc));
	return rc;
}

/* Set up a journal for path under key, without touching any file. */
static int
journal_alloc(struct journal **jp, const char *path,
    const uint8_t key[JOURNAL_KEY_LEN], char *err, size_t errlen)
{
	struct journal *j;

	if (strlen(path) >= sizeof(j->path)) {
		journal_err(err, errlen, "state file path is too long: %s",
		    path);
		return -ENAMETOOLONG;
	}

	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		journal_err(err, errlen, "out of memory");
		return -ENOMEM;
	}

	*jp = j;
	strcpy(j->path, path);
	j->fd = -1;
	j->lock_fd = -1;
	TAILQ_INIT(&j->sessions);
	j->nbuckets = JOURNAL_BUCKETS_MIN;
	j->buckets = calloc(j->nbuckets, sizeof(*j->buckets));
	j->mac = journal_mac_new(key);
	if (j->buckets == NULL || j->mac == NULL ||
	    journal_key_id_compute(j) != 0) {
		journal_err(err, errlen, "cannot set up HMAC-SHA256 for %s",
		    path);
		return -ENOMEM;
	}
	return 0;
}

static int
journal_new(struct journal **jp, const char *path,
    const uint8_t key[JOURNAL_KEY_LEN], char *err, size_t errlen)
{
	int rc = journal_alloc(jp, path, key, err, errlen);

	return rc == 0 ? journal_lock(*jp, err, errlen) : rc;
}

/* Load, filter and rewrite the file. Returns the status or -errno. */
static int
journal_start(struct journal *j, journal_session_fn *on_session, void *arg,
    char *err, size_t errlen)
{
	int status, rc;

	status = journal_load(j, err, errlen);
	if (status < 0)
		return status;

	if (status == JOURNAL_CORRUPT || status == JOURNAL_FOREIGN) {
		rc = journal_reject(j, err, errlen);
		if (rc != 0)
			return rc;
	}

	journal_filter(j, on_session, arg);

	/*
	 * A full disk must not cost the sessions just loaded: keep them,
	 * and let the next append or journal_sync try the rewrite again.
	 */
	if (journal_compact(j) != 0)
		j->broken = true;
	return status;
}

int
journal_open(const char *path, const uint8_t key[JOURNAL_KEY_LEN],
    struct journal **jp, journal_session_fn *on_session, void *arg,
    char *err, size_t errlen)
{
	struct journal *j = NULL;
	int rc;

	journal_err_clear(err, errlen);
	rc = journal_new(&j, path, key, err, errlen);
	if (rc == 0)
		rc = journal_start(j, on_session, arg, err, errlen);

	if (rc < 0) {
		journal_close(j);
		return rc;
	}

	*jp = j;
	return rc;
}

int
journal_parse_buffer(const uint8_t *data, size_t len,
    const uint8_t key[JOURNAL_KEY_LEN], journal_session_fn *on_session,
    void *arg, char *err, size_t errlen)
{
	struct journal *j = NULL;
	int rc;

	journal_err_clear(err, errlen);
	rc = journal_alloc(&j, "(in memory)", key, err, errlen);
	if (rc == 0 && len > 0)
		rc = journal_parse(j, data, len, err, errlen);
	if ((rc == JOURNAL_LOADED || rc == JOURNAL_TRUNCATED) &&
	    on_session != NULL)
		journal_foreach(j, on_session, arg);
	journal_close(j);
	return rc;
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;

	if (j->fd >= 0) {
		journal_sync(j);
		close(j->fd);
	}

	if (j->lock_fd >= 0)
		close(j->lock_fd);

	if (j->buckets != NULL)
		journal_table_clear(j);
	free(j->buckets);
	EVP_MAC_CTX_free(j->mac);
	free(j);
}

void
journal_close_in_child(struct journal *j)
{
	if (j == NULL)
		return;

	if (j->fd >= 0)
		close(j->fd);
	if (j->lock_fd >= 0)
		close(j->lock_fd);
	j->fd = j->lock_fd = -1;
}

/* Return whether path names nothing, or a file other than the open fd. */
static bool
journal_path_moved(const char *path, int fd)
{
	struct stat open_st, path_st;

	if (fstat(fd, &open_st) != 0)
		return false;
	if (stat(path, &path_st) != 0)
		return errno == ENOENT || errno == ENOTDIR;
	return open_st.st_dev != path_st.st_dev ||
	    open_st.st_ino != path_st.st_ino;
}

bool
journal_file_gone(const struct journal *j)
{
	char lock[PATH_MAX];

	journal_lock_path(j, lock, sizeof(lock));
	return journal_path_moved(j->path, j->fd) ||
	    journal_path_moved(lock, j->lock_fd);
}

/*
 * Lock a new lock file in place of a deleted one, which keeps a second
 * daemon away from the new journal file. The old lock stays on failure.
 */
static int
journal_relock(struct journal *j)
{
	int old_lock = j->lock_fd, rc;
	char err[256];

	rc = journal_lock(j, err, sizeof(err));
	if (rc != 0) {
		if (j->lock_fd >= 0)
			close(j->lock_fd);
		j->lock_fd = old_lock;
		return rc;
	}

	close(old_lock);
	return 0;
}

int
journal_recreate(struct journal *j)
{
	char lock[PATH_MAX];
	int rc;

	journal_lock_path(j, lock, sizeof(lock));
	if (journal_path_moved(lock, j->lock_fd) &&
	    (rc = journal_relock(j)) != 0)
		return rc;
	return journal_compact(j);
}

const struct journal_session *
journal_find(const struct journal *j, uint64_t id)
{
	struct journal_node *n = journal_node_find(j, id);

	return n != NULL ? &n->s : NULL;
}

void
journal_foreach(const struct journal *j, journal_session_fn *fn, void *arg)
{
	const struct journal_node *n;

	TAILQ_FOREACH(n, &j->sessions, entry)
		if (!fn(&n->s, arg))
			break;
}

size_t
journal_count(const struct journal *j)
{
	return j->count;
}

uint64_t
journal_id_max(const struct journal *j)
{
	return j->id_max;
}

uint64_t
journal_file_size(const struct journal *j)
{
	return j->size;
}

/* ---- the key file ---- */

static int
journal_read_full(int fd, uint8_t *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = read(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EINVAL;
		buf += n;
		len -= (size_t)n;
	}

	return 0;
}

/* A key file that others can read or replace would not be a secret. */
static int
journal_key_check(const char *path, const struct stat *st, char *err,
    size_t errlen)
{
	if (!S_ISREG(st->st_mode)) {
		journal_err(err, errlen, "key file %s is not a regular file",
		    path);
		return -EINVAL;
	}

	if (st->st_uid != geteuid()) {
		journal_err(err, errlen, "key file %s is owned by uid %u, "
		    "expected %u: chown it to that user", path,
		    (unsigned)st->st_uid, (unsigned)geteuid());
		return -EPERM;
	}

	if ((st->st_mode & 077) != 0) {
		journal_err(err, errlen, "key file %s has mode %04o, expected "
		    "0600: chmod 0600 it", path,
		    (unsigned)(st->st_mode & 07777));
		return -EPERM;
	}

	if (st->st_size != JOURNAL_KEY_LEN) {
		journal_err(err, errlen, "key file %s has %lld bytes, expected "
		    "%d (removing it makes a new key and ends saved sessions)",
		    path, (long long)st->st_size, JOURNAL_KEY_LEN);
		return -EINVAL;
	}

	return 0;
}

int
journal_key_read(const char *path, uint8_t key[JOURNAL_KEY_LEN], char *err,
    size_t errlen)
{
	struct stat st;
	int fd, rc;

	fd = regfile_open(path);
	if (fd < 0) {
		journal_err(err, errlen, "cannot open key file %s: %s", path,
		    regfile_strerror(-fd));
		return fd;
	}

	if (fstat(fd, &st) != 0) {
		rc = -errno;
		journal_err(err, errlen, "cannot read key file %s: %s", path,
		    strerror(-rc));
	} else {
		rc = journal_key_check(path, &st, err, errlen);
	}

	if (rc == 0)
		rc = journal_read_full(fd, key, JOURNAL_KEY_LEN);
	if (rc == -EINVAL && st.st_size == JOURNAL_KEY_LEN)
		journal_err(err, errlen, "key file %s shrank while it was "
		    "read", path);
	else if (rc != 0 && err != NULL && errlen > 0 && err[0] == '\0')
		journal_err(err, errlen, "cannot read key file %s: %s", path,
		    strerror(-rc));

	close(fd);
	if (rc != 0)
		explicit_bzero(key, JOURNAL_KEY_LEN);
	return rc;
}

/* Write key to fd and fsync it. */
static int
journal_key_fill(int fd, const uint8_t key[JOURNAL_KEY_LEN])
{
	int rc;

	rc = journal_write_at(fd, key, JOURNAL_KEY_LEN, 0);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	return rc;
}

/*
 * Create the key file complete or not at all: fill a temporary file and
 * link it to path. link fails with -EEXIST instead of replacing a key
 * that another process created meanwhile.
 */
int
journal_key_write(const char *path, const uint8_t key[JOURNAL_KEY_LEN])
{
	char tmp[PATH_MAX];
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;

	rc = fchmod(fd, 0600) != 0 ? -errno : 0;
	if (rc == 0)
		rc = journal_key_fill(fd, key);
	close(fd);
	if (rc == 0 && link(tmp, path) != 0)
		rc = -errno;
	unlink(tmp);
	if (rc != 0)
		return rc;

	return regfile_dir_sync(path);
}

/* Create the key file with new random bytes. */
static int
journal_key_create(const char *path)
{
	uint8_t key[JOURNAL_KEY_LEN];
	int rc;

	rc = journal_random(key, sizeof(key));
	if (rc == 0)
		rc = journal_key_write(path, key);

	explicit_bzero(key, sizeof(key));
	return rc;
}

int
journal_key_load_or_create(const char *path, uint8_t key[JOURNAL_KEY_LEN],
    char *err, size_t errlen)
{
	int rc;

	rc = journal_key_read(path, key, err, errlen);
	if (rc != -ENOENT)
		return rc;

	rc = journal_key_create(path);
	if (rc != 0 && rc != -EEXIST) {
		journal_err(err, errlen, "cannot create key file %s: %s",
		    path, strerror(-rc));
		return rc;
	}

	/* Read it back, which also checks what was written. */
	journal_err_clear(err, errlen);
	return journal_key_read(path, key, err, errlen);
}

int
journal_key_derive(const uint8_t master[JOURNAL_KEY_LEN], const char *label,
    uint8_t out[JOURNAL_KEY_LEN])
{
	char digest[] = "SHA256";
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM params[5];
	EVP_KDF_CTX *ctx = NULL;
	EVP_KDF *kdf;
	int rc = -EIO;

	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (kdf != NULL)
		ctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (ctx == NULL)
		return -ENOMEM;

	/* OSSL_PARAM takes void pointers, but HKDF only reads these two. */
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)master, JOURNAL_KEY_LEN);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)label, strlen(label));
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, JOURNAL_KEY_LEN, params) == 1)
		rc = 0;

	/* Freeing the context cleanses its copy of the key. */
	EVP_KDF_CTX_free(ctx);
	return rc;
}
