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
#include "ecai/search.h"

/* llm: */
#include "ecai/llm.h"

/* cache: */
#include "ecai/cache.h"

/* experiment, pricing: */
#include "ecai/experiment.h"
#include "ecai/pricing.h"

/* recommend, guard, support: */
#include "ecai/recommend.h"
#include "ecai/guard.h"
#include "ecai/support.h"


#endif /* ECAI_H */
