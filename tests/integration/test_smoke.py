def test_create_and_read_customer_with_hostile_id(api):
    created = api.post("/api/v1/customers", {"customer": {"external_id": "a/b#c%d é", "name": "Acme"}})
    assert created.status_code == 200, created.body
    customer = created.json_body["customer"]
    assert customer["slug"].endswith("-001")
    fetched = api.get("/api/v1/customers/a%2Fb%23c%25d%20%C3%A9")
    assert fetched.status_code == 200
    assert fetched.json_body["customer"]["lago_id"] == customer["lago_id"]


def test_unknown_route_is_lago_404(api):
    response = api.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json_body == {"status": 404, "error": "Not Found", "code": "resource_not_found"}
