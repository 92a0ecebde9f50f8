/*
 * libecai — product catalog: products keyed by an external id (SKU string) with a
 * dense internal id (int64, assigned on first insert, stable for the life of the
 * catalog and across save/open; a removed product's id is never reused).
 *
 * Product fields: id (SKU), title, description, category (path, e.g. "Tools > Saws"),
 * brand, price + currency, in_stock, attributes (a JSON object). Products go in as a
 * JSON object {"id": "...", "title": "...", "description": "...", "category": "...",
 * "brand": "...", "price": 9.99, "currency": "USD", "in_stock": true,
 * "attributes": {...}} or are loaded from CSV / TSV / JSONL files (gzip accepted).
 *
 * Thread-safety: a catalog may be read (get, count, iterate) from several threads at
 * once; changes (load, upsert, remove) need exclusive access.
 */
#ifndef ECAI_CATALOG_H
#define ECAI_CATALOG_H

#include "ecai/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The product catalog (opaque). */
typedef struct ecai_catalog ecai_catalog;

/** File formats for ecai_catalog_load(). */
typedef enum ecai_catalog_format {
  ECAI_CATALOG_AUTO = 0,  /**< from the extension (.csv, .tsv, .jsonl/.ndjson, optionally .gz) */
  ECAI_CATALOG_CSV = 1,   /**< RFC 4180 CSV (libcsv), first row is a header */
  ECAI_CATALOG_TSV = 2,   /**< tab-separated, first row is a header, no quoting (a quote is
                               an ordinary character; a field never spans lines) */
  ECAI_CATALOG_JSONL = 3  /**< one JSON product object per line */
} ecai_catalog_format;

/** Flags for ecai_catalog_load(). */
typedef enum ecai_catalog_load_flag {
  ECAI_CATALOG_LENIENT = 1 /**< skip malformed rows and count them instead of failing */
} ecai_catalog_load_flag;

/**
 * @brief Creates an empty catalog.
 * @param[out] out receives the catalog; NULL on failure.
 * @param[in]  ctx the context (configuration); must outlive the catalog.
 * @return ECAI_OK; ECAI_EINVAL (NULL argument); ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_catalog_free().
 * Thread-safety: see the file comment.
 * @since 0.1
 */
ECAI_API ecai_status ecai_catalog_new(ecai_catalog **out, ecai_ctx *ctx);

/**
 * @brief Frees a catalog. Accepts NULL.
 * Thread-safety: not concurrently with any other use of the catalog.
 * @since 0.1
 */
ECAI_API void ecai_catalog_free(ecai_catalog *cat);

/**
 * @brief Loads (inserts or updates) products from a CSV, TSV or JSONL file, plain or
 * gzip-compressed. All or nothing: on failure the catalog is exactly as before.
 *
 * CSV/TSV columns: without a mapping the header is recognised by name (id: `product_id`,
 * `id`, `sku`; title: `title`, `name`; `description`, `category`, `brand`, `price`,
 * `currency`, `in_stock`/`stock`, `attributes` — any order, case-insensitive); other
 * columns become string attributes. `columns` maps fields to header names explicitly,
 * e.g. "id=stock_code,title=description,price=median_unit_price" (fields: id, title,
 * description, category, brand, price, currency, in_stock, attributes). JSONL lines
 * are product objects (see the file comment); the same mapping renames their keys.
 *
 * No row is lost silently. A CSV quoted field may span lines; one still open at the end
 * of the file is an error naming the line its record starts on ("FILE:LINE: unterminated
 * quoted field starting here"); in lenient mode that record is skipped and the lines after
 * its first line are read again. Size limits from the context: a field (CSV/TSV column,
 * JSONL string value) over `catalog.max_field_bytes` (default 1 MiB) or a record (the sum
 * of a CSV/TSV row's fields, a JSONL line) over `catalog.max_record_bytes` (default 8 MiB)
 * is an error naming file, line and column (number and header name; the key for JSONL),
 * or a skipped row in lenient mode. ecai_catalog_load_report_json() says what was skipped
 * and why.
 *
 * @param[out] out_loaded  products inserted or updated (may be NULL).
 * @param[out] out_skipped rows skipped in lenient mode (may be NULL).
 * @param[in]  cat     the catalog.
 * @param[in]  path    file path.
 * @param[in]  format  an ecai_catalog_format.
 * @param[in]  columns column mapping, or NULL.
 * @param[in]  flags   0 (strict) or ECAI_CATALOG_LENIENT.
 * @return ECAI_OK; ECAI_EIO (unreadable file); ECAI_EPARSE (strict mode: malformed row,
 * unterminated quote, field or record over its limit; the message gives "FILE:LINE:
 * reason", LINE being where the row starts; invalid UTF-8 gives the byte offset; an
 * unterminated quote or oversized field in the header fails in lenient mode too);
 * ECAI_EINVAL (bad mapping, no id/title column, a size limit below 1); ECAI_ENOMEM.
 * Ownership: none. Thread-safety: exclusive access to cat.
 * @since 0.1
 */
ECAI_API ecai_status ecai_catalog_load(size_t *out_loaded, size_t *out_skipped, ecai_catalog *cat,
                                       const char *path, ecai_catalog_format format,
                                       const char *columns, uint32_t flags);

/**
 * @brief What the last ecai_catalog_load() on this catalog read, loaded and skipped, and why:
 * {"read": N, "loaded": N, "skipped": N, "skipped_by_reason": {"malformed_row": N,
 * "bad_value": N, "invalid_utf8": N, "unterminated_quote": N, "field_too_large": N,
 * "record_too_large": N}, "first_skip": "FILE:LINE: reason" or null}.
 * read = loaded + skipped (data rows; the header and blank lines are not counted).
 * Reasons: malformed_row (wrong field count, CSV syntax, a JSONL line that is not an
 * object), bad_value (empty id or title, bad price, in_stock, attributes or JSON type),
 * invalid_utf8, unterminated_quote, field_too_large, record_too_large. Every reason is
 * always present. Before any load, and after a failed one, all counts are 0.
 * @param[out] out     receives the NUL-terminated JSON; free with ecai_free().
 * @param[out] out_len its length (may be NULL).
 * @param[in]  cat     the catalog.
 * @return ECAI_OK; ECAI_EINVAL (NULL argument); ECAI_ENOMEM.
 * Ownership: the caller frees *out. Thread-safety: concurrent reads allowed.
 * @since 0.1
 */
ECAI_API ecai_status ecai_catalog_load_report_json(char **out, size_t *out_len, const ecai_catalog *cat);

/**
 * @brief Inserts or updates one product given as a JSON object (see the file comment;
 * "id" and "title" are required, "id" may be a string or an integer).
 * @param[out] out_id receives the product's internal id (may be NULL).
 * @param[in]  cat    the catalog.
 * @param[in]  json   the product object (UTF-8), need not be NUL-terminated.
 * @param[in]  len    its length in bytes.
 * @return ECAI_OK; ECAI_EPARSE (malformed JSON); ECAI_EINVAL (missing id/title, wrong
 * field type); ECAI_ENOMEM.
 * Ownership: json is copied. Thread-safety: exclusive access to cat.
 * @since 0.1
 */
ECAI_API ecai_status ecai_catalog_upsert_json(int64_t *out_id, ecai_catalog *cat, const char *json,
                                              size_t len);

/**
 * @brief Removes a product by SKU. Its internal id is not reused.
 * @return ECAI_OK; ECAI_ENOTFOUND; ECAI_EINVAL.
 * Thread-safety: exclusive access to cat.
 * @since 0.1
 */
ECAI_API ecai_status ecai_catalog_remove(ecai_catalog *cat, const char *sku);

/**
 * @brief A product as a JSON object (fields of the file comment plus "internal_id").
 * @param[out] out     receives the NUL-terminated JSON; free with ecai_free().
 * @param[out] out_len its length (may be NULL).
 * @param[in]  cat     the catalog.
 * @param[in]  sku     the external id.
 * @return ECAI_OK; ECAI_ENOTFOUND; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller frees *out. Thread-safety: concurrent reads allowed.
 * @since 0.1
 */
ECAI_API ecai_status ecai_catalog_get_json(char **out, size_t *out_len, const ecai_catalog *cat,
                                           const char *sku);

/**
 * @brief Number of (live) products. Returns 0 for NULL.
 * Thread-safety: concurrent reads allowed.
 * @since 0.1
 */
ECAI_API size_t ecai_catalog_count(const ecai_catalog *cat);

/**
 * @brief Internal id of a SKU.
 * @param[out] out receives the id.
 * @return ECAI_OK; ECAI_ENOTFOUND; ECAI_EINVAL.
 * Thread-safety: concurrent reads allowed.
 * @since 0.1
 */
ECAI_API ecai_status ecai_catalog_id(int64_t *out, const ecai_catalog *cat, const char *sku);

/**
 * @brief SKU of an internal id.
 * @return a borrowed string valid until the product is changed or removed or the
 * catalog freed; NULL for an unknown or removed id.
 * Ownership: borrowed. Thread-safety: concurrent reads allowed.
 * @since 0.1
 */
ECAI_API const char *ecai_catalog_sku(const ecai_catalog *cat, int64_t id);

/**
 * @brief Title of an internal id (borrowed like ecai_catalog_sku()); NULL if unknown.
 * Ownership: borrowed. Thread-safety: concurrent reads allowed.
 * @since 0.1
 */
ECAI_API const char *ecai_catalog_title(const ecai_catalog *cat, int64_t id);

/**
 * @brief Iterates live products in internal-id order: start with after = -1, then pass
 * the previous id.
 * @param[out] out_id receives the next live id.
 * @return ECAI_OK; ECAI_ENOTFOUND at the end; ECAI_EINVAL.
 * Thread-safety: concurrent reads allowed.
 * @since 0.1
 */
ECAI_API ecai_status ecai_catalog_next(int64_t *out_id, const ecai_catalog *cat, int64_t after);

/**
 * @brief XXH3-64 of the product's embeddable text (title, brand, category, description
 * as returned by ecai_catalog_text()): a changed value means the product must be re-embedded.
 * @param[out] out receives the hash.
 * @return ECAI_OK; ECAI_ENOTFOUND; ECAI_EINVAL.
 * Thread-safety: concurrent reads allowed.
 * @since 0.1
 */
ECAI_API ecai_status ecai_catalog_content_hash(uint64_t *out, const ecai_catalog *cat, int64_t id);

/**
 * @brief The text the embedders embed for a product (title, brand, category,
 * description joined by " | ").
 * @param[out] out     receives the text; free with ecai_free().
 * @param[out] out_len its length (may be NULL).
 * @return ECAI_OK; ECAI_ENOTFOUND; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller frees *out. Thread-safety: concurrent reads allowed.
 * @since 0.1
 */
ECAI_API ecai_status ecai_catalog_text(char **out, size_t *out_len, const ecai_catalog *cat, int64_t id);

/**
 * @brief Writes the catalog to one file atomically (temp file, fsync, rename), with a
 * format version and an XXH3 checksum.
 * @return ECAI_OK; ECAI_EIO; ECAI_EINVAL; ECAI_ENOMEM.
 * Thread-safety: concurrent reads allowed.
 * @since 0.1
 */
ECAI_API ecai_status ecai_catalog_save(const ecai_catalog *cat, const char *path);

/**
 * @brief Reads a catalog written by ecai_catalog_save().
 * The file is mapped read-only and its strings are used in place (on little-endian hosts;
 * files of earlier versions are read into memory): replace the file by rename, as
 * ecai_catalog_save() does, never rewrite it in place while a catalog opened from it lives.
 * @param[out] out  receives the catalog; NULL on failure.
 * @param[in]  ctx  the context.
 * @param[in]  path file path.
 * @return ECAI_OK; ECAI_EIO (missing/unreadable); ECAI_ECORRUPT (truncated, damaged,
 * other format version); ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_catalog_free().
 * @since 0.1
 */
ECAI_API ecai_status ecai_catalog_open(ecai_catalog **out, ecai_ctx *ctx, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* ECAI_CATALOG_H */
