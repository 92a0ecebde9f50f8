/*
 * libecai — embeddable e-commerce AI: umbrella header.
 * Include this one; module headers live in <ecai/...>.
 */
#ifndef ECAI_H
#define ECAI_H

#include "ecai/common.h"
/* catalog, embedder, index, search: */

/* llm: */

/* cache: */
#include "ecai/cache.h"

/* experiment, pricing: */

/* recommend, guard, support: */


#endif /* ECAI_H */
