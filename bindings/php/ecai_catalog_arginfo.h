/* Hand-maintained from ecai_catalog.stub.php (gen_stub.php cannot run offline). */

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Ecai_Catalog___construct, 0, 0, 1)
	ZEND_ARG_OBJ_INFO(0, ctx, Ecai\\Context, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Ecai_Catalog_open, 0, 2, Ecai\\Catalog, 0)
	ZEND_ARG_OBJ_INFO(0, ctx, Ecai\\Context, 0)
	ZEND_ARG_TYPE_INFO(0, path, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Catalog_load, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, path, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, format, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, columns, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, lenient, _IS_BOOL, 0, "false")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Catalog_add, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_MASK(0, product, MAY_BE_ARRAY|MAY_BE_STRING, NULL)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Catalog_get, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, sku, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Catalog_remove, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, sku, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Catalog_count, 0, 0, IS_LONG, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Catalog_idOf, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, sku, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Catalog_save, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, path, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Catalog_loadReport, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_Ecai_Embedder___construct arginfo_class_Ecai_Catalog___construct
#define arginfo_class_Ecai_Embedder_dim arginfo_class_Ecai_Catalog_count

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Embedder_fit, 0, 1, IS_VOID, 0)
	ZEND_ARG_OBJ_INFO(0, catalog, Ecai\\Catalog, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Embedder_embed, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, text, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Embedder_attachCache, 0, 1, IS_VOID, 0)
	ZEND_ARG_OBJ_INFO(0, cache, Ecai\\Cache, 1)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Embedder_identity, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Ecai_Index___construct, 0, 0, 2)
	ZEND_ARG_OBJ_INFO(0, ctx, Ecai\\Context, 0)
	ZEND_ARG_TYPE_INFO(0, dim, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, factory, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Ecai_Index_open, 0, 2, Ecai\\Index, 0)
	ZEND_ARG_OBJ_INFO(0, ctx, Ecai\\Context, 0)
	ZEND_ARG_TYPE_INFO(0, path, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Index_add, 0, 2, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, ids, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, vectors, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Index_remove, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, id, IS_LONG, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_Ecai_Index_count arginfo_class_Ecai_Catalog_count

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Index_search, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, vector, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, k, IS_LONG, 0, "10")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, allowed, IS_ARRAY, 1, "null")
ZEND_END_ARG_INFO()

#define arginfo_class_Ecai_Index_save arginfo_class_Ecai_Catalog_save
#define arginfo_class_Ecai_Store___construct arginfo_class_Ecai_Catalog___construct

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Ecai_Store_open, 0, 2, Ecai\\Store, 0)
	ZEND_ARG_OBJ_INFO(0, ctx, Ecai\\Context, 0)
	ZEND_ARG_TYPE_INFO(0, dir, IS_STRING, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_Ecai_Store_load arginfo_class_Ecai_Catalog_load
#define arginfo_class_Ecai_Store_add arginfo_class_Ecai_Catalog_add
#define arginfo_class_Ecai_Store_remove arginfo_class_Ecai_Catalog_remove
#define arginfo_class_Ecai_Store_count arginfo_class_Ecai_Catalog_count

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Store_build, 0, 0, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, refit, _IS_BOOL, 0, "false")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Store_search, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, query, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, k, IS_LONG, 0, "10")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Store_save, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, dir, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Store_persistentStats, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Store_update, 0, 2, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, sku, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, fields, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Store_seal, 0, 0, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, on, _IS_BOOL, 0, "true")
ZEND_END_ARG_INFO()

ZEND_METHOD(Ecai_Catalog, __construct);
ZEND_METHOD(Ecai_Catalog, open);
ZEND_METHOD(Ecai_Catalog, load);
ZEND_METHOD(Ecai_Catalog, add);
ZEND_METHOD(Ecai_Catalog, get);
ZEND_METHOD(Ecai_Catalog, remove);
ZEND_METHOD(Ecai_Catalog, count);
ZEND_METHOD(Ecai_Catalog, idOf);
ZEND_METHOD(Ecai_Catalog, save);
ZEND_METHOD(Ecai_Catalog, loadReport);
ZEND_METHOD(Ecai_Embedder, __construct);
ZEND_METHOD(Ecai_Embedder, dim);
ZEND_METHOD(Ecai_Embedder, fit);
ZEND_METHOD(Ecai_Embedder, embed);
ZEND_METHOD(Ecai_Embedder, identity);
ZEND_METHOD(Ecai_Embedder, attachCache);
ZEND_METHOD(Ecai_Index, __construct);
ZEND_METHOD(Ecai_Index, open);
ZEND_METHOD(Ecai_Index, add);
ZEND_METHOD(Ecai_Index, remove);
ZEND_METHOD(Ecai_Index, count);
ZEND_METHOD(Ecai_Index, search);
ZEND_METHOD(Ecai_Index, save);
ZEND_METHOD(Ecai_Store, __construct);
ZEND_METHOD(Ecai_Store, open);
ZEND_METHOD(Ecai_Store, load);
ZEND_METHOD(Ecai_Store, add);
ZEND_METHOD(Ecai_Store, remove);
ZEND_METHOD(Ecai_Store, count);
ZEND_METHOD(Ecai_Store, build);
ZEND_METHOD(Ecai_Store, search);
ZEND_METHOD(Ecai_Store, save);
ZEND_METHOD(Ecai_Store, update);
ZEND_METHOD(Ecai_Store, seal);
ZEND_METHOD(Ecai_Store, persistentStats);

static const zend_function_entry class_Ecai_Catalog_methods[] = {
	ZEND_ME(Ecai_Catalog, __construct, arginfo_class_Ecai_Catalog___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Catalog, open, arginfo_class_Ecai_Catalog_open, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_Catalog, load, arginfo_class_Ecai_Catalog_load, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Catalog, add, arginfo_class_Ecai_Catalog_add, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Catalog, get, arginfo_class_Ecai_Catalog_get, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Catalog, remove, arginfo_class_Ecai_Catalog_remove, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Catalog, count, arginfo_class_Ecai_Catalog_count, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Catalog, idOf, arginfo_class_Ecai_Catalog_idOf, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Catalog, save, arginfo_class_Ecai_Catalog_save, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Catalog, loadReport, arginfo_class_Ecai_Catalog_loadReport, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};

static const zend_function_entry class_Ecai_Embedder_methods[] = {
	ZEND_ME(Ecai_Embedder, __construct, arginfo_class_Ecai_Embedder___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Embedder, dim, arginfo_class_Ecai_Embedder_dim, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Embedder, fit, arginfo_class_Ecai_Embedder_fit, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Embedder, embed, arginfo_class_Ecai_Embedder_embed, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Embedder, identity, arginfo_class_Ecai_Embedder_identity, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Embedder, attachCache, arginfo_class_Ecai_Embedder_attachCache, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};

static const zend_function_entry class_Ecai_Index_methods[] = {
	ZEND_ME(Ecai_Index, __construct, arginfo_class_Ecai_Index___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Index, open, arginfo_class_Ecai_Index_open, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_Index, add, arginfo_class_Ecai_Index_add, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Index, remove, arginfo_class_Ecai_Index_remove, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Index, count, arginfo_class_Ecai_Index_count, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Index, search, arginfo_class_Ecai_Index_search, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Index, save, arginfo_class_Ecai_Index_save, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};

static const zend_function_entry class_Ecai_Store_methods[] = {
	ZEND_ME(Ecai_Store, __construct, arginfo_class_Ecai_Store___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Store, open, arginfo_class_Ecai_Store_open, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_Store, load, arginfo_class_Ecai_Store_load, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Store, add, arginfo_class_Ecai_Store_add, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Store, remove, arginfo_class_Ecai_Store_remove, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Store, count, arginfo_class_Ecai_Store_count, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Store, build, arginfo_class_Ecai_Store_build, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Store, search, arginfo_class_Ecai_Store_search, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Store, save, arginfo_class_Ecai_Store_save, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Store, update, arginfo_class_Ecai_Store_update, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Store, seal, arginfo_class_Ecai_Store_seal, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Store, persistentStats, arginfo_class_Ecai_Store_persistentStats, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_FE_END
};
