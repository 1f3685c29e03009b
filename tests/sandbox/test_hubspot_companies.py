"""Companies in the HubSpot sandbox: the generated ones and their contacts, merges through the client's own merge
call, and what HubSpot refuses about companies (unknown properties, calculated ones, wrong association types,
batches over 100)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest
from hubspot.crm.companies import ApiException as CompaniesApiException
from hubspot.crm.companies import BatchInputSimplePublicObjectBatchInput, PublicMergeInput
from hubspot.crm.objects.tasks import ApiException as TasksApiException
from hubspot.crm.objects.tasks import SimplePublicObjectInputForCreate as TaskInput

from adapters.sandbox.hubspot import HubSpotApp
from adapters.sandbox.population import generate_population
from adapters.sandbox.vocabulary import FREEMAIL_DOMAINS
from tests.sandbox.hubspot_support import FakeClock, client_for, error_body

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
PRIMARY, UNLABELED, TASK_TO_COMPANY, TASK_TO_CONTACT = 1, 279, 192, 204


@pytest.fixture(scope="module")
def population():
    return generate_population(300, seed=7, now=NOW)


@pytest.fixture(scope="module")
def seeded(population) -> HubSpotApp:
    app = HubSpotApp(clock=FakeClock(NOW))
    app.load_population(population)
    return app


def company_links(app: HubSpotApp, contact) -> list[tuple[int, list[int]]]:
    return app.portal.associations.targets("contacts", contact.id, "companies")


def test_generated_companies_hold_an_owner_a_lifecycle_stage_and_several_contacts(seeded, population):
    companies = list(seeded.portal.objects.active("companies"))
    assert len(companies) == len(population.companies)
    owners = set(seeded.portal.owners)
    staffed = [c for c in companies if seeded.portal.associations.targets("companies", c.id, "contacts")]
    assert all(c.properties["hubspot_owner_id"] in owners for c in staffed)
    assert {"customer", "lead"} <= {c.properties["lifecyclestage"] for c in companies}
    sizes = Counter(len(seeded.portal.associations.targets("companies", c.id, "contacts")) for c in staffed)
    assert sum(count for size, count in sizes.items() if 2 <= size <= 6) >= len(staffed) // 3


def test_free_mail_contacts_have_no_company_and_a_few_work_with_a_second_one(seeded):
    contacts = list(seeded.portal.objects.active("contacts"))
    free_mail = [c for c in contacts if (c.properties.get("email") or "@").rpartition("@")[2] in FREEMAIL_DOMAINS]
    assert free_mail and all(company_links(seeded, c) == [] for c in free_mail)
    two = [company_links(seeded, c) for c in contacts if len(company_links(seeded, c)) == 2]
    assert two and all([ids for _, ids in links] == [[PRIMARY, UNLABELED], [UNLABELED]] for links in two)


def test_a_merge_folds_the_other_company_into_the_primary_which_answers_for_both_ids(hubspot_sandbox):
    app, client = hubspot_sandbox.app, client_for(hubspot_sandbox)
    primary, other = app.insert("companies", {"name": "Acme"}), app.insert("companies", {"name": "Acme Inc"})
    ann = app.insert("contacts", {"email": "ann@acme.com"}, {"companies": [other]})
    merged = client.crm.companies.basic_api.merge(PublicMergeInput(object_id_to_merge=other, primary_object_id=primary))
    assert merged.id == primary and merged.properties["hs_merged_object_ids"] == other
    assert client.crm.companies.basic_api.get_by_id(other, properties=["name"]).id == primary
    listed = client.crm.companies.basic_api.get_page(limit=100)
    archived = client.crm.companies.basic_api.get_page(limit=100, archived=True)
    assert [c.id for c in listed.results] == [primary] and archived.results == []
    assert app.portal.associations.targets("contacts", int(ann), "companies") == [(int(primary), [UNLABELED])]


def test_a_merge_with_itself_or_an_unknown_company_is_refused(hubspot_sandbox):
    app, api = hubspot_sandbox.app, client_for(hubspot_sandbox).crm.companies.basic_api
    acme = app.insert("companies", {"name": "Acme"})
    with pytest.raises(CompaniesApiException) as itself:
        api.merge(PublicMergeInput(object_id_to_merge=acme, primary_object_id=acme))
    with pytest.raises(CompaniesApiException) as unknown:
        api.merge(PublicMergeInput(object_id_to_merge="987654", primary_object_id=acme))
    assert (itself.value.status, unknown.value.status) == (400, 404)


def test_merged_ids_survive_a_dump_and_restore(hubspot_sandbox):
    app, api = hubspot_sandbox.app, client_for(hubspot_sandbox).crm.companies.basic_api
    primary, other = app.insert("companies", {"name": "Acme"}), app.insert("companies", {"name": "Acme Inc"})
    api.merge(PublicMergeInput(object_id_to_merge=other, primary_object_id=primary))
    restored = HubSpotApp(clock=FakeClock(NOW))
    restored.restore_state(json.loads(json.dumps(app.dump_state())))
    assert restored.portal.objects.get("companies", other).id == int(primary)


def test_companies_refuse_an_unknown_property_and_a_calculated_one(hubspot_sandbox):
    acme = hubspot_sandbox.app.insert("companies", {"name": "Acme"})
    api = client_for(hubspot_sandbox).crm.companies.batch_api
    for values, code in (({"headcount": "5"}, "PROPERTY_DOESNT_EXIST"), ({"hs_merged_object_ids": "1"}, "READ_ONLY")):
        with pytest.raises(CompaniesApiException) as refused:
            api.update(BatchInputSimplePublicObjectBatchInput(inputs=[{"id": acme, "properties": values}]))
        assert refused.value.status == 400 and code in error_body(refused.value)["message"]


def test_a_batch_update_of_more_than_100_companies_is_refused_whole(hubspot_sandbox):
    ids = [hubspot_sandbox.app.insert("companies", {"name": f"C{n}"}) for n in range(101)]
    api = client_for(hubspot_sandbox).crm.companies.batch_api
    inputs = [{"id": crm_id, "properties": {"industry": "Retail"}} for crm_id in ids]
    with pytest.raises(CompaniesApiException) as refused:
        api.update(BatchInputSimplePublicObjectBatchInput(inputs=inputs))
    assert refused.value.status == 400 and "100" in error_body(refused.value)["message"]
    assert all("industry" not in hubspot_sandbox.app.portal.objects.get("companies", i).properties for i in ids)


def test_a_task_links_to_a_company_with_type_192_and_not_with_the_contact_type(hubspot_sandbox):
    acme = hubspot_sandbox.app.insert("companies", {"name": "Acme"})
    api = client_for(hubspot_sandbox).crm.objects.tasks.basic_api

    def task(type_id: int) -> TaskInput:
        kind = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}
        return TaskInput(properties={"hs_timestamp": "2026-11-02T09:00:00Z"}, associations=[{"to": {"id": acme},
                         "types": [kind]}])  # fmt: skip

    created = api.create(task(TASK_TO_COMPANY))
    links = hubspot_sandbox.app.portal.associations.targets("tasks", int(created.id), "companies")
    assert links == [(int(acme), [TASK_TO_COMPANY])]
    with pytest.raises(TasksApiException) as refused:
        api.create(task(TASK_TO_CONTACT))  # 204 points at contacts: there is no contact of that id
    assert refused.value.status == 400
