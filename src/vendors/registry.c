/*-------------------------------------------------------------------------
 * registry.c
 *	  The list of vendors: the one line to add for a new vendor module.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "vendors/vendor.h"

extern const AlfVendor alf_vendor_zendesk;
extern const AlfVendor alf_vendor_koreai;
extern const AlfVendor alf_vendor_zoho_mail;
extern const AlfVendor alf_vendor_zscaler;
extern const AlfVendor alf_vendor_resolver;

static const AlfVendor *const alf_vendors[] = {
	&alf_vendor_zendesk,
	&alf_vendor_koreai,
	&alf_vendor_zoho_mail,
	&alf_vendor_zscaler,
	&alf_vendor_resolver,
};

const AlfVendor *
alf_vendor_lookup(const char *name)
{
	int			i;

	for (i = 0; i < (int) lengthof(alf_vendors); i++)
		if (strcmp(alf_vendors[i]->name, name) == 0)
			return alf_vendors[i];
	return NULL;
}

const AlfVendor *const *
alf_vendor_all(int *count)
{
	*count = (int) lengthof(alf_vendors);
	return alf_vendors;
}
