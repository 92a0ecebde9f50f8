/* Hand-maintained from ecai_cache.stub.php. */

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Ecai_Cache___construct, 0, 0, 1)
	ZEND_ARG_OBJ_INFO(0, ctx, Ecai\\Context, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Cache_key, 0, 1, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, data, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Cache_keyJson, 0, 1, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, json, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Cache_factHash, 0, 1, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, facts, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Cache_put, 0, 2, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, value, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, ttlMs, IS_LONG, 0, "0")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, meta, IS_ARRAY, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Cache_get, 0, 1, IS_STRING, 1)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Cache_delete, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Cache_invalidateTag, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, tag, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Cache_invalidateProduct, 0, 2, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, sku, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, newFacts, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Cache_clear, 0, 0, IS_VOID, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Cache_stats, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Cache_save, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, path, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Cache_load, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, path, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Cache_counterAdd, 0, 2, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, delta, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, windowS, IS_LONG, 0, "0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Ecai_SemanticCache___construct, 0, 0, 1)
	ZEND_ARG_OBJ_INFO(0, ctx, Ecai\\Context, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, dim, IS_LONG, 0, "0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_SemanticCache_setThreshold, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, threshold, IS_DOUBLE, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_SemanticCache_setVerify, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, verify, _IS_BOOL, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_SemanticCache_setMaxEntries, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, max, IS_LONG, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_SemanticCache_setWordMismatch, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, mismatch, IS_DOUBLE, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_Ecai_SemanticCache_save arginfo_class_Ecai_Cache_save

#define arginfo_class_Ecai_SemanticCache_load arginfo_class_Ecai_Cache_load

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_SemanticCache_put, 0, 4, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, partition, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, vector, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, query, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, value, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_SemanticCache_lookup, 0, 3, IS_ARRAY, 1)
	ZEND_ARG_TYPE_INFO(0, partition, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, vector, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, query, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_SemanticCache_putText, 0, 3, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, partition, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, query, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, value, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_SemanticCache_lookupText, 0, 2, IS_ARRAY, 1)
	ZEND_ARG_TYPE_INFO(0, partition, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, query, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_SemanticCache_stats, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_SemanticCache_verify, 0, 2, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, a, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, b, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_METHOD(Ecai_Cache, __construct);
ZEND_METHOD(Ecai_Cache, key);
ZEND_METHOD(Ecai_Cache, keyJson);
ZEND_METHOD(Ecai_Cache, factHash);
ZEND_METHOD(Ecai_Cache, put);
ZEND_METHOD(Ecai_Cache, get);
ZEND_METHOD(Ecai_Cache, delete);
ZEND_METHOD(Ecai_Cache, invalidateTag);
ZEND_METHOD(Ecai_Cache, invalidateProduct);
ZEND_METHOD(Ecai_Cache, clear);
ZEND_METHOD(Ecai_Cache, stats);
ZEND_METHOD(Ecai_Cache, save);
ZEND_METHOD(Ecai_Cache, load);
ZEND_METHOD(Ecai_Cache, counterAdd);
ZEND_METHOD(Ecai_SemanticCache, __construct);
ZEND_METHOD(Ecai_SemanticCache, setThreshold);
ZEND_METHOD(Ecai_SemanticCache, setVerify);
ZEND_METHOD(Ecai_SemanticCache, setMaxEntries);
ZEND_METHOD(Ecai_SemanticCache, put);
ZEND_METHOD(Ecai_SemanticCache, lookup);
ZEND_METHOD(Ecai_SemanticCache, putText);
ZEND_METHOD(Ecai_SemanticCache, lookupText);
ZEND_METHOD(Ecai_SemanticCache, stats);
ZEND_METHOD(Ecai_SemanticCache, verify);
ZEND_METHOD(Ecai_SemanticCache, setWordMismatch);
ZEND_METHOD(Ecai_SemanticCache, save);
ZEND_METHOD(Ecai_SemanticCache, load);

static const zend_function_entry class_Ecai_Cache_methods[] = {
	ZEND_ME(Ecai_Cache, __construct, arginfo_class_Ecai_Cache___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Cache, key, arginfo_class_Ecai_Cache_key, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_Cache, keyJson, arginfo_class_Ecai_Cache_keyJson, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_Cache, factHash, arginfo_class_Ecai_Cache_factHash, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_Cache, put, arginfo_class_Ecai_Cache_put, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Cache, get, arginfo_class_Ecai_Cache_get, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Cache, delete, arginfo_class_Ecai_Cache_delete, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Cache, invalidateTag, arginfo_class_Ecai_Cache_invalidateTag, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Cache, invalidateProduct, arginfo_class_Ecai_Cache_invalidateProduct, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Cache, clear, arginfo_class_Ecai_Cache_clear, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Cache, stats, arginfo_class_Ecai_Cache_stats, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Cache, save, arginfo_class_Ecai_Cache_save, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Cache, load, arginfo_class_Ecai_Cache_load, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Cache, counterAdd, arginfo_class_Ecai_Cache_counterAdd, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};

static const zend_function_entry class_Ecai_SemanticCache_methods[] = {
	ZEND_ME(Ecai_SemanticCache, __construct, arginfo_class_Ecai_SemanticCache___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_SemanticCache, setThreshold, arginfo_class_Ecai_SemanticCache_setThreshold, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_SemanticCache, setVerify, arginfo_class_Ecai_SemanticCache_setVerify, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_SemanticCache, setMaxEntries, arginfo_class_Ecai_SemanticCache_setMaxEntries, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_SemanticCache, put, arginfo_class_Ecai_SemanticCache_put, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_SemanticCache, lookup, arginfo_class_Ecai_SemanticCache_lookup, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_SemanticCache, putText, arginfo_class_Ecai_SemanticCache_putText, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_SemanticCache, lookupText, arginfo_class_Ecai_SemanticCache_lookupText, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_SemanticCache, stats, arginfo_class_Ecai_SemanticCache_stats, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_SemanticCache, verify, arginfo_class_Ecai_SemanticCache_verify, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_SemanticCache, setWordMismatch, arginfo_class_Ecai_SemanticCache_setWordMismatch, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_SemanticCache, save, arginfo_class_Ecai_SemanticCache_save, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_SemanticCache, load, arginfo_class_Ecai_SemanticCache_load, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};
