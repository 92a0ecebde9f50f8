/* Internal: configuration schema types (see config_schema.c). */
#ifndef ECAI_CORE_CONFIG_H
#define ECAI_CORE_CONFIG_H

#include "core/internal.h"

typedef enum {
  ECAI__CFG_SECTION = 1, /* an object whose keys are listed in the schema */
  ECAI__CFG_STR,
  ECAI__CFG_INT,
  ECAI__CFG_NUM, /* integer or real */
  ECAI__CFG_BOOL,
  ECAI__CFG_OBJ, /* free-form object (e.g. headers, prices) */
  ECAI__CFG_ARR  /* free-form array */
} ecai__cfg_type;

enum {
  ECAI__CFG_SECRET = 1u, /* never stored in the visible config, never printed */
  ECAI__CFG_ENV_OF = 2u  /* value names an environment variable holding `choices` (a secret path) */
};

typedef struct {
  const char *path;
  ecai__cfg_type type;
  const char *dflt;    /* JSON text of the default, or NULL for none */
  unsigned flags;
  const char *choices; /* "a|b|c" allowed strings; for ENV_OF the secret it fills */
} ecai__cfg_key;

typedef struct {
  const char *env;
  const char *path;
} ecai__cfg_env;

extern const ecai__cfg_key ecai__cfg_schema[];
extern const ecai__cfg_env ecai__cfg_env_overrides[];

#endif
