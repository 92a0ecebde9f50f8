/* Hand-maintained from ecai_experiment.stub.php (see the note there). */

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Ecai_Experiment___construct, 0, 0, 2)
	ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, salt, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, variants, IS_ARRAY, 0, "[]")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, holdout, IS_DOUBLE, 0, "0.0")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, holdoutSalt, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Experiment_addVariant, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, weight, IS_DOUBLE, 0, "1.0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Experiment_setHoldout, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, fraction, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, holdoutSalt, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Experiment_assign, 0, 1, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, unit, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Experiment_expose, 0, 1, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, unit, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, ts, IS_LONG, 0, "0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Experiment_summary, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Experiment_logJsonl, 0, 0, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Experiment_hashPoint, 0, 2, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO(0, salt, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, unit, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Ecai_Kpi___construct, 0, 0, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Kpi_record, 0, 3, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, ts, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, unit, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, event, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, variant, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, value, IS_DOUBLE, 0, "0.0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Kpi_loadFile, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, path, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Kpi_load, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, data, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Kpi_count, 0, 0, IS_LONG, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Kpi_metrics, 0, 0, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, period, IS_STRING, 0, "\"day\"")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Kpi_report, 0, 0, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, control, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, launchTs, IS_LONG, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Stats_normalCdf, 0, 1, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO(0, x, IS_DOUBLE, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Stats_tCdf, 0, 2, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO(0, t, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO(0, df, IS_DOUBLE, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Stats_chi2Sf, 0, 2, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO(0, x, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO(0, df, IS_DOUBLE, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Stats_proportions, 0, 4, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, xControl, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, nControl, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, xTreatment, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, nTreatment, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, confidence, IS_DOUBLE, 0, "0.95")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Stats_welch, 0, 2, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, control, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, treatment, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, confidence, IS_DOUBLE, 0, "0.95")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Stats_srm, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, counts, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, weights, IS_ARRAY, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Stats_sampleSize, 0, 2, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, baseline, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO(0, mdeAbs, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, alpha, IS_DOUBLE, 0, "0.05")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, power, IS_DOUBLE, 0, "0.8")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Stats_abtestCsv, 0, 3, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, path, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, variantColumn, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, metricColumn, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, metric, IS_STRING, 0, "\"proportion\"")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, control, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Ecai_Pricing___construct, 0, 0, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, configJson, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Pricing_set, 0, 2, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
	ZEND_ARG_TYPE_MASK(0, value, MAY_BE_STRING|MAY_BE_LONG|MAY_BE_DOUBLE, NULL)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Pricing_add, 0, 3, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, product, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, price, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO(0, quantity, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, ts, IS_LONG, 0, "0")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, segment, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, unitCost, IS_DOUBLE, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Pricing_setBounds, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, product, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, floor, IS_DOUBLE, 0, "0.0")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, ceiling, IS_DOUBLE, 0, "0.0")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, map, IS_DOUBLE, 0, "0.0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Pricing_addExperiment, 0, 7, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, product, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, controlPrice, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO(0, controlUnits, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO(0, controlExposure, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO(0, testPrice, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO(0, testUnits, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO(0, testExposure, IS_DOUBLE, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_Ecai_Pricing_loadFile arginfo_class_Ecai_Kpi_loadFile
#define arginfo_class_Ecai_Pricing_count arginfo_class_Ecai_Kpi_count
#define arginfo_class_Ecai_Pricing_run arginfo_class_Ecai_Experiment_summary

ZEND_METHOD(Ecai_Experiment, __construct);
ZEND_METHOD(Ecai_Experiment, addVariant);
ZEND_METHOD(Ecai_Experiment, setHoldout);
ZEND_METHOD(Ecai_Experiment, assign);
ZEND_METHOD(Ecai_Experiment, expose);
ZEND_METHOD(Ecai_Experiment, summary);
ZEND_METHOD(Ecai_Experiment, logJsonl);
ZEND_METHOD(Ecai_Experiment, hashPoint);
ZEND_METHOD(Ecai_Kpi, __construct);
ZEND_METHOD(Ecai_Kpi, record);
ZEND_METHOD(Ecai_Kpi, loadFile);
ZEND_METHOD(Ecai_Kpi, load);
ZEND_METHOD(Ecai_Kpi, count);
ZEND_METHOD(Ecai_Kpi, metrics);
ZEND_METHOD(Ecai_Kpi, report);
ZEND_METHOD(Ecai_Stats, normalCdf);
ZEND_METHOD(Ecai_Stats, tCdf);
ZEND_METHOD(Ecai_Stats, chi2Sf);
ZEND_METHOD(Ecai_Stats, proportions);
ZEND_METHOD(Ecai_Stats, welch);
ZEND_METHOD(Ecai_Stats, srm);
ZEND_METHOD(Ecai_Stats, sampleSize);
ZEND_METHOD(Ecai_Stats, abtestCsv);
ZEND_METHOD(Ecai_Pricing, __construct);
ZEND_METHOD(Ecai_Pricing, set);
ZEND_METHOD(Ecai_Pricing, add);
ZEND_METHOD(Ecai_Pricing, setBounds);
ZEND_METHOD(Ecai_Pricing, addExperiment);
ZEND_METHOD(Ecai_Pricing, loadFile);
ZEND_METHOD(Ecai_Pricing, count);
ZEND_METHOD(Ecai_Pricing, run);

static const zend_function_entry class_Ecai_Experiment_methods[] = {
	ZEND_ME(Ecai_Experiment, __construct, arginfo_class_Ecai_Experiment___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Experiment, addVariant, arginfo_class_Ecai_Experiment_addVariant, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Experiment, setHoldout, arginfo_class_Ecai_Experiment_setHoldout, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Experiment, assign, arginfo_class_Ecai_Experiment_assign, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Experiment, expose, arginfo_class_Ecai_Experiment_expose, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Experiment, summary, arginfo_class_Ecai_Experiment_summary, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Experiment, logJsonl, arginfo_class_Ecai_Experiment_logJsonl, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Experiment, hashPoint, arginfo_class_Ecai_Experiment_hashPoint, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_FE_END
};

static const zend_function_entry class_Ecai_Kpi_methods[] = {
	ZEND_ME(Ecai_Kpi, __construct, arginfo_class_Ecai_Kpi___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Kpi, record, arginfo_class_Ecai_Kpi_record, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Kpi, loadFile, arginfo_class_Ecai_Kpi_loadFile, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Kpi, load, arginfo_class_Ecai_Kpi_load, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Kpi, count, arginfo_class_Ecai_Kpi_count, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Kpi, metrics, arginfo_class_Ecai_Kpi_metrics, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Kpi, report, arginfo_class_Ecai_Kpi_report, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};

static const zend_function_entry class_Ecai_Stats_methods[] = {
	ZEND_ME(Ecai_Stats, normalCdf, arginfo_class_Ecai_Stats_normalCdf, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_Stats, tCdf, arginfo_class_Ecai_Stats_tCdf, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_Stats, chi2Sf, arginfo_class_Ecai_Stats_chi2Sf, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_Stats, proportions, arginfo_class_Ecai_Stats_proportions, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_Stats, welch, arginfo_class_Ecai_Stats_welch, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_Stats, srm, arginfo_class_Ecai_Stats_srm, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_Stats, sampleSize, arginfo_class_Ecai_Stats_sampleSize, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_Stats, abtestCsv, arginfo_class_Ecai_Stats_abtestCsv, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_FE_END
};

static const zend_function_entry class_Ecai_Pricing_methods[] = {
	ZEND_ME(Ecai_Pricing, __construct, arginfo_class_Ecai_Pricing___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Pricing, set, arginfo_class_Ecai_Pricing_set, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Pricing, add, arginfo_class_Ecai_Pricing_add, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Pricing, setBounds, arginfo_class_Ecai_Pricing_setBounds, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Pricing, addExperiment, arginfo_class_Ecai_Pricing_addExperiment, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Pricing, loadFile, arginfo_class_Ecai_Pricing_loadFile, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Pricing, count, arginfo_class_Ecai_Pricing_count, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Pricing, run, arginfo_class_Ecai_Pricing_run, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};
