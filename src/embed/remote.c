/* The remote OpenAI-compatible embedder (POST {base_url}/v1/embeddings). */
#include "embed/embed_internal.h"

ecai_status ecai__remote_init(ecai_embedder *e) {
  return ecai__err(ECAI_EUNSUPPORTED, "embedder: kind 'openai' is not implemented yet");
}
void ecai__remote_free(ecai_embedder *e) { (void)e; }
ecai_status ecai__remote_embed(ecai_embedder *e, float *out, const char *const *texts, const size_t *lens,
                               size_t n) {
  return ecai__err(ECAI_EUNSUPPORTED, "embedder: kind 'openai' is not implemented yet");
}
