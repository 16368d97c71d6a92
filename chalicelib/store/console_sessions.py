"""The console's sessions in the control table: the deployment's secret (one global item, created with a
conditional put) and one item per live session under its organization, holding its expiry."""
from __future__ import annotations

from botocore.exceptions import ClientError

from chalicelib.domain.console_sessions import ConsoleSession
from chalicelib.store import keys
from chalicelib.store.dynamo import ControlTableRepository, is_condition_failure, to_attributes


class ConsoleSessionRepository(ControlTableRepository):
    def _secret_key(self) -> dict:
        return to_attributes({"pk": keys.CONSOLE_SECRET_PK, "sk": keys.CONSOLE_SECRET_SK})

    def session_secret(self, new_secret: str) -> str:
        response = self._client.get_item(TableName=self._table, Key=self._secret_key(), ConsistentRead=True)
        if "Item" in response:
            return str(response["Item"]["secret"]["S"])
        try:
            self._client.put_item(TableName=self._table, Item={**self._secret_key(), "secret": {"S": new_secret}},
                                  ConditionExpression="attribute_not_exists(pk)")
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            return self.session_secret(new_secret)  # another request stored its secret first: use that one
        return new_secret

    def add_session(self, session: ConsoleSession) -> None:
        self._client.put_item(TableName=self._table, Item=to_attributes({
            "pk": keys.organization_pk(session.organization_id), "sk": keys.console_session_sk(session.session_id),
            "expires_at": int(session.expires_at.timestamp())}))

    def session_exists(self, session: ConsoleSession) -> bool:
        return self._get(session.organization_id, keys.console_session_sk(session.session_id)) is not None

    def delete_session(self, session: ConsoleSession) -> None:
        self._client.delete_item(TableName=self._table,
                                 Key=self._key(session.organization_id, keys.console_session_sk(session.session_id)))
