/*
 * libecai — embeddable e-commerce AI: umbrella header.
 * Include this one; module headers live in <ecai/...>.
 */
#ifndef ECAI_H
#define ECAI_H

#include "ecai/common.h"
/* catalog, embedder, index, search: */
#include "ecai/catalog.h"
#include "ecai/embed.h"
#include "ecai/index.h"
#include "ecai/embed.h"
#include "ecai/index.h"

/* llm: */

/* cache: */

/* experiment, pricing: */

/* recommend, guard, support: */


#endif /* ECAI_H */
