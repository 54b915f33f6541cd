import {
  type ColumnDefinitionNode,
  type DataTypeNode,
  DataTypeNode as DataType,
  GeneratedNode,
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryId,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';

/**
 * Lets the frozen migrations, written with SQLite's column types, create the same tables on
 * PostgreSQL, where those names mean something narrower:
 * - `integer` is 32 bits there, too small for Unix-ms times and Telegram chat ids: `bigint`;
 * - SQLite's `autoincrement` does not exist: an identity column
 *   (https://www.postgresql.org/docs/15/ddl-identity-columns.html), by default so that the
 *   SQLite-to-PostgreSQL copy can keep the ids;
 * - `blob` is `bytea`, and SQLite's 8-byte `real` is `double precision`.
 * Used only by the migrator, only on PostgreSQL: SQLite's DDL stays exactly as shipped.
 */
export class PostgresColumnTypes implements KyselyPlugin {
  private readonly transformer = new ColumnTypeTransformer();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.transformer.transformNode(args.node, args.queryId);
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

const POSTGRES_TYPE: Readonly<Record<string, DataTypeNode['dataType']>> = {
  integer: 'bigint',
  blob: 'bytea',
  real: 'double precision',
};

class ColumnTypeTransformer extends OperationNodeTransformer {
  protected override transformDataType(node: DataTypeNode): DataTypeNode {
    const replacement = POSTGRES_TYPE[node.dataType];
    return replacement === undefined ? node : DataType.create(replacement);
  }

  protected override transformColumnDefinition(
    node: ColumnDefinitionNode,
    queryId?: QueryId,
  ): ColumnDefinitionNode {
    const column = super.transformColumnDefinition(node, queryId);
    if (!column.autoIncrement) return column;
    return {
      ...column,
      autoIncrement: false,
      generated: GeneratedNode.create({ byDefault: true, identity: true }),
    };
  }
}
