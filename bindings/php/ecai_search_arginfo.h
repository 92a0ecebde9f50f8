/* Hand-maintained from ecai_search.stub.php (gen_stub.php cannot run offline). */

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Ecai_Search___construct, 0, 0, 1)
	ZEND_ARG_OBJ_INFO(0, store, Ecai\\Store, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Ecai_Search_open, 0, 2, Ecai\\Search, 0)
	ZEND_ARG_OBJ_INFO(0, store, Ecai\\Store, 0)
	ZEND_ARG_TYPE_INFO(0, dir, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Search_save, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, dir, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Search_query, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, query, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Search_evaluate, 0, 2, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, queries, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, labels, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Search_learn, 0, 2, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, queries, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, labels, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, dir, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Search_setRules, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_MASK(0, rules, MAY_BE_ARRAY|MAY_BE_STRING|MAY_BE_NULL, NULL)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Search_setPopularity, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, path, IS_STRING, 1)
ZEND_END_ARG_INFO()

ZEND_METHOD(Ecai_Search, __construct);
ZEND_METHOD(Ecai_Search, open);
ZEND_METHOD(Ecai_Search, save);
ZEND_METHOD(Ecai_Search, query);
ZEND_METHOD(Ecai_Search, evaluate);
ZEND_METHOD(Ecai_Search, learn);
ZEND_METHOD(Ecai_Search, setRules);
ZEND_METHOD(Ecai_Search, setPopularity);

static const zend_function_entry class_Ecai_Search_methods[] = {
	ZEND_ME(Ecai_Search, __construct, arginfo_class_Ecai_Search___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Search, open, arginfo_class_Ecai_Search_open, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_Search, save, arginfo_class_Ecai_Search_save, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Search, query, arginfo_class_Ecai_Search_query, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Search, evaluate, arginfo_class_Ecai_Search_evaluate, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Search, learn, arginfo_class_Ecai_Search_learn, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Search, setRules, arginfo_class_Ecai_Search_setRules, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Search, setPopularity, arginfo_class_Ecai_Search_setPopularity, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};
