/* Hand-maintained from ecai_support.stub.php. */

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Ecai_KnowledgeBase___construct, 0, 0, 1)
	ZEND_ARG_OBJ_INFO(0, ctx, Ecai\\Context, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_KnowledgeBase_addText, 0, 2, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, source, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, text, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, format, IS_LONG, 0, "0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_KnowledgeBase_addPath, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, path, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_KnowledgeBase_remove, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, source, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_KnowledgeBase_stats, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_KnowledgeBase_search, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, query, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, k, IS_LONG, 0, "4")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_KnowledgeBase_addExample, 0, 2, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, source, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, question, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_KnowledgeBase_addExamplesTsv, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, tsv, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_KnowledgeBase_save, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, path, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Ecai_KnowledgeBase_open, 0, 2, Ecai\\KnowledgeBase, 0)
	ZEND_ARG_TYPE_INFO(0, path, IS_STRING, 0)
	ZEND_ARG_OBJ_INFO(0, ctx, Ecai\\Context, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Ecai_Support___construct, 0, 0, 2)
	ZEND_ARG_OBJ_INFO(0, ctx, Ecai\\Context, 0)
	ZEND_ARG_OBJ_INFO(0, kb, Ecai\\KnowledgeBase, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Support_answer, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, question, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, conversation, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, context, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Support_resolve, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_MASK(0, result, MAY_BE_ARRAY|MAY_BE_STRING, NULL)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, source, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_METHOD(Ecai_KnowledgeBase, __construct);
ZEND_METHOD(Ecai_KnowledgeBase, addText);
ZEND_METHOD(Ecai_KnowledgeBase, addPath);
ZEND_METHOD(Ecai_KnowledgeBase, remove);
ZEND_METHOD(Ecai_KnowledgeBase, stats);
ZEND_METHOD(Ecai_KnowledgeBase, search);
ZEND_METHOD(Ecai_KnowledgeBase, addExample);
ZEND_METHOD(Ecai_KnowledgeBase, addExamplesTsv);
ZEND_METHOD(Ecai_KnowledgeBase, save);
ZEND_METHOD(Ecai_KnowledgeBase, open);
ZEND_METHOD(Ecai_Support, __construct);
ZEND_METHOD(Ecai_Support, answer);
ZEND_METHOD(Ecai_Support, resolve);

static const zend_function_entry class_Ecai_KnowledgeBase_methods[] = {
	ZEND_ME(Ecai_KnowledgeBase, __construct, arginfo_class_Ecai_KnowledgeBase___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_KnowledgeBase, addText, arginfo_class_Ecai_KnowledgeBase_addText, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_KnowledgeBase, addPath, arginfo_class_Ecai_KnowledgeBase_addPath, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_KnowledgeBase, remove, arginfo_class_Ecai_KnowledgeBase_remove, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_KnowledgeBase, stats, arginfo_class_Ecai_KnowledgeBase_stats, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_KnowledgeBase, search, arginfo_class_Ecai_KnowledgeBase_search, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_KnowledgeBase, addExample, arginfo_class_Ecai_KnowledgeBase_addExample, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_KnowledgeBase, addExamplesTsv, arginfo_class_Ecai_KnowledgeBase_addExamplesTsv, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_KnowledgeBase, save, arginfo_class_Ecai_KnowledgeBase_save, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_KnowledgeBase, open, arginfo_class_Ecai_KnowledgeBase_open, ZEND_ACC_PUBLIC | ZEND_ACC_STATIC)
	ZEND_FE_END
};

static const zend_function_entry class_Ecai_Support_methods[] = {
	ZEND_ME(Ecai_Support, __construct, arginfo_class_Ecai_Support___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Support, answer, arginfo_class_Ecai_Support_answer, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Support, resolve, arginfo_class_Ecai_Support_resolve, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};
