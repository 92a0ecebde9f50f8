/* Hand-maintained from ecai_recommend.stub.php. */

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Ecai_Recommender___construct, 0, 0, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, config, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Ecai_Recommender_fromOrders, 0, 1, Ecai\\Recommender, 0)
	ZEND_ARG_TYPE_INFO(0, path, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, config, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, before, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Ecai_Recommender_load, 0, 1, Ecai\\Recommender, 0)
	ZEND_ARG_TYPE_INFO(0, path, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, config, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Recommender_addOrder, 0, 2, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, orderId, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, products, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, customer, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, ts, IS_LONG, 0, "0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Recommender_setItem, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, id, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, title, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, price, IS_DOUBLE, 0, "-1.0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Recommender_setCategory, 0, 2, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, id, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, category, IS_STRING, 1)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Recommender_fit, 0, 0, IS_VOID, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Recommender_setContent, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, vectors, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Recommender_recommend, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, cart, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, history, IS_ARRAY, 0, "[]")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, k, IS_LONG, 0, "10")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, strategy, IS_STRING, 0, "\"mixed\"")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, customer, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Recommender_bundles, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, cart, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, k, IS_LONG, 0, "3")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, customer, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Recommender_trending, 0, 0, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, k, IS_LONG, 0, "10")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, now, IS_LONG, 0, "-1")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Recommender_rerank, 0, 2, IS_ARRAY, 0)
	ZEND_ARG_OBJ_INFO(0, llm, Ecai\\Llm, 0)
	ZEND_ARG_TYPE_INFO(0, request, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Recommender_query, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, request, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Recommender_stats, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Recommender_save, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, path, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Recommender_evaluate, 0, 3, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, path, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, trainBefore, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, testBefore, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, k, IS_LONG, 0, "10")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, config, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_METHOD(Ecai_Recommender, evaluate);
ZEND_METHOD(Ecai_Recommender, __construct);
ZEND_METHOD(Ecai_Recommender, fromOrders);
ZEND_METHOD(Ecai_Recommender, load);
ZEND_METHOD(Ecai_Recommender, addOrder);
ZEND_METHOD(Ecai_Recommender, setItem);
ZEND_METHOD(Ecai_Recommender, setCategory);
ZEND_METHOD(Ecai_Recommender, fit);
ZEND_METHOD(Ecai_Recommender, setContent);
ZEND_METHOD(Ecai_Recommender, recommend);
ZEND_METHOD(Ecai_Recommender, bundles);
ZEND_METHOD(Ecai_Recommender, trending);
ZEND_METHOD(Ecai_Recommender, query);
ZEND_METHOD(Ecai_Recommender, rerank);
ZEND_METHOD(Ecai_Recommender, stats);
ZEND_METHOD(Ecai_Recommender, save);

static const zend_function_entry class_Ecai_Recommender_methods[] = {
	ZEND_ME(Ecai_Recommender, __construct, arginfo_class_Ecai_Recommender___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Recommender, fromOrders, arginfo_class_Ecai_Recommender_fromOrders, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_Recommender, load, arginfo_class_Ecai_Recommender_load, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_Recommender, addOrder, arginfo_class_Ecai_Recommender_addOrder, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Recommender, setItem, arginfo_class_Ecai_Recommender_setItem, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Recommender, setCategory, arginfo_class_Ecai_Recommender_setCategory, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Recommender, fit, arginfo_class_Ecai_Recommender_fit, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Recommender, setContent, arginfo_class_Ecai_Recommender_setContent, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Recommender, recommend, arginfo_class_Ecai_Recommender_recommend, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Recommender, bundles, arginfo_class_Ecai_Recommender_bundles, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Recommender, trending, arginfo_class_Ecai_Recommender_trending, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Recommender, query, arginfo_class_Ecai_Recommender_query, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Recommender, rerank, arginfo_class_Ecai_Recommender_rerank, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Recommender, stats, arginfo_class_Ecai_Recommender_stats, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Recommender, save, arginfo_class_Ecai_Recommender_save, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Recommender, evaluate, arginfo_class_Ecai_Recommender_evaluate, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_FE_END
};
