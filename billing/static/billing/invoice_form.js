'use strict';
// The invoice form (a static file: the admin's CSP forbids inline scripts).
// - The property picker offers the chosen customer's properties only (the property admin's
//   autocomplete reads `customer`), and choosing another customer clears the property.
// - The due date follows the issued date by the payment terms, until someone types one.
{
    const $ = django.jQuery;

    $.ajaxPrefilter(function(options) {
        const customer = document.getElementById('id_customer');
        if (!customer || !customer.value || typeof options.data !== 'string') {
            return;
        }
        const params = new URLSearchParams(options.data);
        if (params.get('app_label') === 'billing' && params.get('model_name') === 'invoice' &&
                params.get('field_name') === 'property') {
            params.set('customer', customer.value);
            options.data = params.toString();
        }
    });

    $(function() {
        $('#id_customer').on('change', function() {
            $('#id_property').val(null).trigger('change');
        });

        const issued = document.getElementById('id_issued_date');
        const due = document.getElementById('id_due_date');
        if (!issued || !due || !due.dataset.paymentTermsDays) {
            return;
        }
        let suggested = due.value;
        issued.addEventListener('change', function() {
            const day = new Date(issued.value + 'T00:00:00Z');
            if ((due.value && due.value !== suggested) || isNaN(day.getTime())) {
                return;
            }
            day.setUTCDate(day.getUTCDate() + Number(due.dataset.paymentTermsDays));
            suggested = due.value = day.toISOString().slice(0, 10);
        });
    });
}
